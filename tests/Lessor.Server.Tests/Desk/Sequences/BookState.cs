using Lessor.Core.Ledger;
using Lessor.Core.Model;
using Lessor.Server.Desk;
using Lessor.Storage.Scenarios;
using Lessor.Storage.Store;

namespace Lessor.Server.Tests.Desk.Sequences;

/// <summary>
/// What the store and the desk hold after a step: the stored book (and its revision and text), the desk's book as
/// text, and the desk's answers to a fixed set of questions, so that two states compare as plain strings.
/// </summary>
internal sealed record BookState(Scenario Export, long Revision, string ExportText, string DeskText, string Answers, string AnyAnswers)
{
    public static async Task<BookState> ReadAsync(LessorStore store, DealDesk desk)
    {
        var (export, revision) = await store.ExportWithRevisionAsync(CancellationToken.None);
        return new BookState(export, revision, Text(export), Text(desk.Scenario), AnswersOf(desk, fabricProbes: true), AnswersOf(desk, fabricProbes: false));
    }

    /// <summary>The scenario as its file text; a book that cannot be written is its error, which then differs from any real text.</summary>
    public static string Text(Scenario s)
    {
        try
        {
            return ScenarioFile.ToYaml(s);
        }
        catch (Exception e)
        {
            return $"<cannot write: {e.GetType().Name}: {e.Message}>";
        }
    }

    /// <summary>
    /// The desk's uncovered lines and the largest line it would sign for each platform over a few periods (any fabric,
    /// and one fabric when asked): a ledger change a refused step forgot to undo shows up here.
    /// </summary>
    public static string AnswersOf(DealDesk desk, bool fabricProbes)
    {
        var parts = new List<string>();
        try
        {
            parts.AddRange(desk.Uncovered().Select(u => $"uncovered {u.Line} {u.Fabric} {u.Shortfall} {u.Short}"));
            foreach (var platform in desk.Scenario.Platforms)
            {
                foreach (var locality in fabricProbes ? new[] { Locality.Any, Locality.Fabric } : [Locality.Any])
                {
                    foreach (var (from, months) in Probes)
                    {
                        var line = new DealLine { Platform = platform.Id, Gpus = platform.Unit, Period = new Period(from, from.AddMonths(months)), Locality = locality };
                        var largest = desk.Largest(new DealRequest(new CustomerId("c1"), [line]));
                        parts.Add($"largest {platform.Id} {locality} {line.Period} {largest.Largest}");
                    }
                }
            }
        }
        catch (Exception e)
        {
            parts.Add($"<threw {e.GetType().Name}: {e.Message}>");
        }
        return string.Join("\n", parts);
    }

    private static readonly (DateTime From, int Months)[] Probes =
    [
        (SequenceModel.Now, 1), (Utc.Date(2027, 1, 1), 3), (Utc.Date(2027, 6, 15), 12), (Utc.Date(2028, 3, 1), 24),
    ];

    /// <summary>True when some stretch of some line has no pinned blocks (the ledger places it, so where it sits is the ledger's choice).</summary>
    public static bool HasUnpinned(Scenario s) => BookReference.Segments(s).Any(x => x.Pinned.Count == 0);

    /// <summary>Lines a fresh ledger cannot place or would skip as malformed.</summary>
    public static IEnumerable<string> RebuildProblems(Scenario s)
    {
        var build = CapacityLedger.Build(s);
        foreach (var i in build.Issues) yield return $"rebuilding the ledger from the store: {i.Path}: {i.Message}";
        foreach (var u in build.Unplaced) yield return $"rebuilding the ledger from the store leaves {u.Line} unplaced: {u.Constraints.FirstOrDefault()?.Reason}";
    }
}
