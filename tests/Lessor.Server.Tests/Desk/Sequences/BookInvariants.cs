using System.Globalization;
using System.Reflection;
using Lessor.Core.Finance;
using Lessor.Core.Ledger;
using Lessor.Core.Model;
using Lessor.Server.Desk;
using Lessor.Server.Tests.Claims;
using Lessor.Storage.Scenarios;
using Lessor.Storage.Store;

namespace Lessor.Server.Tests.Desk.Sequences;

/// <summary>
/// The promises issue 10 asks every step to keep, each checked against <see cref="BookReference"/> or plain
/// comparisons, never against the ledger's own queries:
/// 1 no fabric is oversold at any minute (a shortfall a slip made is reported by the desk, naming the lines);
/// 2 a refused step changes nothing; 3 recognized + remaining = TCV per contract, and Contract.Value is that TCV;
/// 4 the stored book writes, re-reads, validates and re-imports unchanged; 5 every delivery can still be previewed;
/// 6 utilization is at most 100% and no figure throws; 7 (extra) the desk agrees with the store it wrote.
/// </summary>
internal static class BookInvariants
{
    public static string Name(string id) => id.Split('.')[0] switch
    {
        "1" => "never oversold",
        "2" => "a refused step changes nothing",
        "3" => "recognized + remaining = TCV",
        "4" => "the book round-trips and validates",
        "5" => "every delivery operation answers",
        "6" => "utilization <= 100%, nothing throws",
        "8" => "the kept-current finance book equals one built from nothing",
        _ => "the desk agrees with the store",
    };

    /// <summary>
    /// As-of dates for the KPIs: the clock, every other month's start and a minute-precise instant in each such month
    /// up to 2032 (past every term and deferred tail a sequence makes), and one far later.
    /// </summary>
    private static readonly DateTime[] AsOfs =
    [
        SequenceModel.Now,
        .. Enumerable.Range(0, 36).SelectMany(i => new[] { Utc.Date(2026, 7, 1).AddMonths(2 * i), Utc.Date(2026, 7, 1).AddMonths(2 * i).AddDays(14).AddMinutes(817) }),
        Utc.Date(2150, 1, 1),
    ];

    private static readonly FinanceSettings Planning = FinanceSettings.Default with { CountExpectedDeliveries = true };

    private static string T(DateTime t) => t.ToString("yyyy-MM-ddTHH:mm", CultureInfo.InvariantCulture);

    private static string M(decimal d) => d.ToString("0.00", CultureInfo.InvariantCulture);

    /// <summary>1. At every breakpoint, per fabric and per platform, commitments fit supply; where only a slip made them not fit, the desk reports exactly that shortfall.</summary>
    public static IEnumerable<Violation> NeverOversold(Scenario s, IReadOnlyList<UncoveredLine> uncovered, Func<Delivery, DateTime> earliest, string label)
    {
        var segments = BookReference.Segments(s);
        if (label.Length == 0)
        {
            // What depends only on the stored book is reported once, not again for the reopened desk.
            foreach (var twice in BookReference.DoubleCounted(segments)) yield return new Violation("1.twice", twice);
        }
        var breakpoints = BookReference.Breakpoints(s, segments, earliest);
        foreach (var f in s.Fabrics)
        {
            var unit = SequenceModel.GpusPerUnit(f.Platform);
            foreach (var t in breakpoints)
            {
                var active = segments.Where(x => x.Covers(t)).ToList();
                var pinned = active.Sum(x => x.Pinned.Where(b => b.Fabric == f.Id).Sum(b => b.Units));
                var supply = BookReference.Supply(s, f.Id, t, d => d.AcceptanceDate);
                var promised = BookReference.Supply(s, f.Id, t, earliest);
                var holders = string.Join(", ", active.Where(x => x.Pinned.Any(b => b.Fabric == f.Id)).Select(x => x.Line).Distinct());
                if (pinned > promised)
                {
                    if (label.Length == 0) yield return new Violation("1.oversold", $"fabric {f.Id} oversold at {T(t)}: {pinned} units pinned ({holders}) but at most {promised} were ever due by then");
                    continue;
                }
                var reports = uncovered.Where(u => u.Fabric == f.Id && u.Shortfall.Contains(t)).ToList();
                var reported = reports.Sum(u => u.Short.Value) / unit;
                var expected = Math.Max(0, pinned - supply);
                var unpinnedHere = active.Any(x => x.Platform == f.Platform && x.Pinned.Count == 0);
                if (reported < expected)
                    yield return new Violation("1.report", $"{label}fabric {f.Id} is {expected} units short at {T(t)} after a slip ({pinned} pinned by {holders}, {supply} accepted) but desk.Uncovered() reports {reported}");
                else if (reported > expected && !unpinnedHere)
                    yield return new Violation("1.report", $"{label}desk.Uncovered() reports {reported} units short on {f.Id} at {T(t)} ({string.Join(", ", reports.Select(u => u.Line))}); the reference has {pinned} pinned of {supply} accepted, {expected} short");
                foreach (var u in reports.Where(u => !active.Any(x => x.Line == u.Line && x.Platform == f.Platform && (x.Pinned.Count == 0 || x.Pinned.Any(b => b.Fabric == f.Id)))))
                    yield return new Violation("1.report", $"{label}desk.Uncovered() names {u.Line} short on {f.Id} at {T(t)}, but the line holds nothing there then");
            }
        }
        if (label.Length > 0) yield break;
        foreach (var p in s.Platforms)
        {
            var unit = SequenceModel.GpusPerUnit(p.Id);
            var fabrics = s.Fabrics.Where(f => f.Platform == p.Id).Select(f => f.Id).ToList();
            foreach (var t in breakpoints)
            {
                var committed = segments.Where(x => x.Platform == p.Id && x.Covers(t)).Sum(x => x.Gpus) / unit;
                var promised = fabrics.Sum(f => BookReference.Supply(s, f, t, earliest));
                if (committed > promised)
                    yield return new Violation("1.oversold", $"platform {p.Id} oversold at {T(t)}: lines commit {committed} units, at most {promised} were ever due by then");
            }
        }
    }

    /// <summary>2. The store (text and revision), the desk's book and the desk's answers are as they were before the refused step.</summary>
    public static IEnumerable<Violation> RefusalChangedNothing(BookState before, BookState after)
    {
        if (before.Revision != after.Revision) yield return new Violation("2", $"the store's revision moved from {before.Revision} to {after.Revision}");
        if (before.ExportText != after.ExportText) yield return new Violation("2", $"the stored book changed: {FirstDifference(before.ExportText, after.ExportText)}");
        if (before.DeskText != after.DeskText) yield return new Violation("2", $"desk.Scenario changed: {FirstDifference(before.DeskText, after.DeskText)}");
        if (before.Answers != after.Answers) yield return new Violation("2", $"the desk answers differently: {FirstDifference(before.Answers, after.Answers)}");
    }

    /// <summary>
    /// 3 and 6. Per contract (each has its own customer, so its customer slice is its own figures) at several as-of
    /// dates: recognized + RPO (+ any forfeited or unscheduled bucket the slice has) = TCV to the cent, recognized never
    /// falls and never passes TCV, nothing is left in RPO once every term is over, TCV is the reference's and
    /// Contract.Value; while no delivery has moved, recognized is the reference's schedule. Utilization never above 1.
    /// </summary>
    public static IEnumerable<Violation> MoneyAddsUp(Scenario s, DealDesk desk, string label, bool deliveriesMoved)
    {
        var violations = new List<Violation>();
        FinanceBook book;
        try
        {
            book = desk.FinanceBook();
            foreach (FinanceDimension d in Enum.GetValues<FinanceDimension>())
                RevenueReport.By(book, d, new YearMonth(2026, 1), new YearMonth(2032, 12));
        }
        catch (Exception e)
        {
            return [new Violation("6.throws", $"{label}the finance book or revenue report threw {e.GetType().Name}: {e.Message}")];
        }
        var segments = BookReference.Segments(s);
        // Where a line overlaps itself (invariant 1 reports it) the reference has no single schedule to compare with.
        var twice = segments.GroupBy(x => x.Line).Where(g => BookReference.DoubleCounted([.. g]).Any()).Select(g => g.Key.Contract).ToHashSet();
        var previous = new Dictionary<ContractId, decimal>();
        foreach (var asOf in AsOfs)
        {
            FinanceKpis kpis;
            try
            {
                // Statuses are as of the clock: a later as-of is a planning view, where due deliveries count as in service.
                kpis = FinanceReport.Kpis(book, asOf, asOf > SequenceModel.Now ? Planning : FinanceSettings.Default);
            }
            catch (Exception e)
            {
                violations.Add(new Violation("6.throws", $"{label}FinanceReport.Kpis as of {T(asOf)} threw {e.GetType().Name}: {e.Message}"));
                continue;
            }
            // Site and region split a line's covered time by its pinned shares: while a slip leaves a line short in one of
            // its fabrics, the shortfall is not charged to that fabric's site (a known limit, docs/finance.md), so those
            // slices are held to 100% only when nothing is short. The total and platforms are exact either way.
            var sitesExact = desk.Uncovered().Count == 0;
            foreach (var slice in new[] { kpis.Total }.Concat(kpis.ByPlatform).Concat(sitesExact ? kpis.BySite.Concat(kpis.ByRegion) : []))
            {
                // Decimal division leaves a last-digit residue (1.0000000000000000000000000001); a double count is far larger.
                if (slice.Utilization is > 1.000000001m)
                    violations.Add(new Violation("6.utilization", $"{label}utilization of {slice.Key} as of {T(asOf)} is {slice.Utilization}"));
            }
            var last = asOf == AsOfs[^1];
            foreach (var c in s.Contracts)
            {
                var slice = kpis.ByCustomer.FirstOrDefault(k => k.Key == c.Customer.Value);
                if (slice is null)
                {
                    violations.Add(new Violation("3.sum", $"{label}no KPI slice for {c.Customer} ({c.Id}) as of {T(asOf)}"));
                    continue;
                }
                var (rec, rpo, tcv, extra) = (slice.Recognized.Amount, slice.Rpo.Amount, slice.Tcv.Amount, ExtraBuckets(slice));
                var at = $"{label}{c.Id} as of {T(asOf)}";
                if (!BookReference.SameCents(rec + rpo + extra, tcv))
                    violations.Add(new Violation("3.sum", $"{at}: recognized {M(rec)} + RPO {M(rpo)} + other {M(extra)} != TCV {M(tcv)}"));
                if (rpo < -0.005m) violations.Add(new Violation("3.sum", $"{at}: recognized {M(rec)} exceeds TCV {M(tcv)}"));
                if (previous.TryGetValue(c.Id, out var before) && rec < before - 0.005m)
                    violations.Add(new Violation("3.schedule", $"{at}: recognized fell from {M(before)} to {M(rec)}"));
                previous[c.Id] = rec;
                if (!deliveriesMoved && !twice.Contains(c.Id))
                {
                    var expected = BookReference.RecognizedBefore(c, segments, asOf);
                    if (!BookReference.SameCents(rec, expected))
                        violations.Add(new Violation("3.schedule", $"{at}: recognized {M(rec)} but nothing slipped and the committed stretches give {M(expected)}"));
                }
                if (!last) continue;
                if (Math.Abs(rpo) >= 0.005m)
                    violations.Add(new Violation("3.rpo", $"{at}: RPO {M(rpo)} is still left after every term ended (recognized {M(rec)} of TCV {M(tcv)})"));
                var reference = BookReference.Tcv(c, segments);
                if (!twice.Contains(c.Id) && !BookReference.SameCents(tcv, reference))
                    violations.Add(new Violation("3.tcv", $"{label}{c.Id}: KPI TCV {M(tcv)} but its committed stretches and fee come to {M(reference)}"));
                try
                {
                    if (!BookReference.SameCents(c.Value.Amount, tcv))
                        violations.Add(new Violation("3.value", $"{label}{c.Id}: Contract.Value {M(c.Value.Amount)} is not its TCV {M(tcv)}"));
                }
                catch (Exception e)
                {
                    violations.Add(new Violation("6.throws", $"{c.Id}: Contract.Value threw {e.GetType().Name}: {e.Message}"));
                }
            }
        }
        return violations;
    }

    /// <summary>
    /// Money a slice reports beside recognized and RPO that still belongs to TCV (a forfeited or unscheduled bucket,
    /// should the late-delivery rule add one): found by name, since today's KpiSlice has none.
    /// </summary>
    private static decimal ExtraBuckets(KpiSlice slice)
    {
        var sum = 0m;
        foreach (var p in typeof(KpiSlice).GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (p.PropertyType != typeof(Money) && p.PropertyType != typeof(Money?)) continue;
            if (!p.Name.Contains("Forfeit", StringComparison.Ordinal) && !p.Name.Contains("Unscheduled", StringComparison.Ordinal)) continue;
            if (p.GetValue(slice) is Money m) sum += m.Amount;
        }
        return sum;
    }

    /// <summary>
    /// 8 (extra). The desk keeps its finance book current across writes (recomputing only what a write reached); its
    /// KPIs and revenue reports equal those of a book built from nothing on the same ledger, to the cent.
    /// </summary>
    public static IEnumerable<Violation> FinanceBookCurrent(DealDesk desk, string label)
    {
        var kept = desk.FinanceBook();
        var scratch = desk.FinanceBookFromScratch();
        foreach (var asOf in AsOfs.Where((_, i) => i % 6 == 0))
        {
            var a = System.Text.Json.JsonSerializer.Serialize(FinanceReport.Kpis(kept, asOf, FinanceSettings.Default), Lessor.Server.Json.LessorJson.Compact);
            var b = System.Text.Json.JsonSerializer.Serialize(FinanceReport.Kpis(scratch, asOf, FinanceSettings.Default), Lessor.Server.Json.LessorJson.Compact);
            if (a != b) yield return new Violation("8", $"{label}KPIs as of {T(asOf)} differ from a book built from nothing: {Around(a, b)}");
        }
        foreach (var d in Enum.GetValues<FinanceDimension>())
        {
            var a = System.Text.Json.JsonSerializer.Serialize(RevenueReport.By(kept, d, new YearMonth(2026, 1), new YearMonth(2032, 12)), Lessor.Server.Json.LessorJson.Compact);
            var b = System.Text.Json.JsonSerializer.Serialize(RevenueReport.By(scratch, d, new YearMonth(2026, 1), new YearMonth(2032, 12)), Lessor.Server.Json.LessorJson.Compact);
            if (a != b) yield return new Violation("8", $"{label}revenue by {d} differs from a book built from nothing: {Around(a, b)}");
        }
    }

    /// <summary>Where two one-line JSON texts first differ, with some context on each side.</summary>
    private static string Around(string kept, string scratch)
    {
        var i = 0;
        while (i < kept.Length && i < scratch.Length && kept[i] == scratch[i]) i++;
        var from = Math.Max(0, i - 120);
        string Cut(string t) => t[from..Math.Min(t.Length, i + 60)];
        return $"kept '...{Cut(kept)}...' but from nothing '...{Cut(scratch)}...'";
    }

    /// <summary>4. The stored book written as a file parses back with no validation issue and writes the same text.</summary>
    public static IEnumerable<Violation> RoundTrips(Scenario s)
    {
        var text = BookState.Text(s);
        ScenarioParseResult parsed;
        try
        {
            parsed = ScenarioFile.Parse(text);
        }
        catch (Exception e)
        {
            return [new Violation("4", $"parsing the exported book threw {e.GetType().Name}: {e.Message}")];
        }
        if (!parsed.IsValid)
            return [new Violation("4", $"the exported book does not validate: {string.Join("; ", parsed.Errors.Take(3).Select(e => $"{e.Path}: {e.Message}"))}")];
        var again = BookState.Text(parsed.Scenario!);
        return again == text ? [] : [new Violation("4", $"the book read back differs: {FirstDifference(text, again)}")];
    }

    /// <summary>4 (the store half). The book imports into an empty store and exports as the same text.</summary>
    public static async Task<List<Violation>> ReimportsAsync(Scenario s)
    {
        var path = Path.Combine(Path.GetTempPath(), $"lessor-seq-reimport-{Guid.NewGuid():N}.db");
        try
        {
            await using var store = await LessorStore.OpenAsync(new StoreLocation.Sqlite(path), CancellationToken.None);
            await store.ImportAsync(s, CancellationToken.None);
            var back = BookState.Text(await store.ExportAsync(CancellationToken.None));
            var text = BookState.Text(s);
            return back == text ? [] : [new Violation("4", $"the book re-imported into an empty store exports differently: {FirstDifference(text, back)}")];
        }
        catch (Exception e)
        {
            return [new Violation("4", $"re-importing the book threw {e.GetType().Name}: {e.Message}")];
        }
        finally
        {
            foreach (var file in new[] { path, path + "-wal", path + "-shm" })
            {
                try
                {
                    File.Delete(file);
                }
                catch (IOException)
                {
                    // A temp file left behind is harmless.
                }
            }
        }
    }

    /// <summary>5. A 30-day slip of every delivery can be previewed: it applies, or is refused for a reason that names that delivery. Previews write nothing.</summary>
    public static IEnumerable<Violation> DeliveriesAnswer(DealDesk desk)
    {
        var violations = new List<Violation>();
        var before = BookState.AnswersOf(desk, fabricProbes: true);
        foreach (var d in desk.Scenario.Deliveries)
        {
            try
            {
                var preview = desk.PreviewSlip(d.Id, d.AcceptanceDate.AddDays(30));
                if (!preview.Possible && (preview.Error is null || !preview.Error.Contains(d.Id.Value, StringComparison.Ordinal)))
                    violations.Add(new Violation("5", $"previewing a 30-day slip of {d.Id} answered with a problem that is not its own: {preview.Error}"));
            }
            catch (Exception e)
            {
                violations.Add(new Violation("5", $"previewing a 30-day slip of {d.Id} threw {e.GetType().Name}: {e.Message}"));
            }
        }
        var after = BookState.AnswersOf(desk, fabricProbes: true);
        if (after != before) violations.Add(new Violation("5", $"previewing slips changed the desk's answers: {FirstDifference(before, after)}"));
        return violations;
    }

    /// <summary>
    /// 7 (extra). The desk's book is the stored one, the stored book rebuilds a ledger with every line placed, and a desk
    /// opened on it answers as the live one.
    /// </summary>
    public static List<Violation> DeskAgreesWithStore(BookState state, DealDesk reopened)
    {
        var violations = new List<Violation>();
        if (state.DeskText != state.ExportText) violations.Add(new Violation("7", $"desk.Scenario is not the stored book: {FirstDifference(state.ExportText, state.DeskText)}"));
        violations.AddRange(BookState.RebuildProblems(state.Export).Select(m => new Violation("7", m)));
        // Where the ledger places unpinned stretches itself, a fresh desk may place them elsewhere: only a fully pinned book must answer alike.
        if (BookState.HasUnpinned(state.Export)) return violations;
        var answers = BookState.AnswersOf(reopened, fabricProbes: true);
        if (answers != state.Answers) violations.Add(new Violation("7", $"a desk opened on the store answers differently from the live one: {FirstDifference(state.Answers, answers)}"));
        return violations;
    }

    private static string FirstDifference(string a, string b)
    {
        var x = a.Split('\n');
        var y = b.Split('\n');
        for (var i = 0; i < Math.Max(x.Length, y.Length); i++)
        {
            var l = i < x.Length ? x[i] : "<end>";
            var r = i < y.Length ? y[i] : "<end>";
            if (l != r) return $"line {i + 1}: '{l.Trim()}' became '{r.Trim()}'";
        }
        return "(same text)";
    }
}
