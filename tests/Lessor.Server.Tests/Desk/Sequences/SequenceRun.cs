using System.Globalization;
using Lessor.Core.Ledger;
using Lessor.Core.Model;
using Lessor.Server.Desk;
using Lessor.Server.Tests.Claims;
using Lessor.Storage.Scenarios;
using Lessor.Storage.Store;
using static Lessor.Server.Tests.Desk.Sequences.SequenceModel;

namespace Lessor.Server.Tests.Desk.Sequences;

/// <summary>
/// A broken invariant: its id (the invariant's number of <see cref="BookInvariants"/>, then which part, as "3.value")
/// and what was seen.
/// </summary>
internal sealed record Violation(string Id, string Message)
{
    /// <summary>True when a filter entry ("3" or "3.value") selects this violation.</summary>
    public bool Matches(string filter) => Id == filter || Id.StartsWith(filter + ".", StringComparison.Ordinal);
}

/// <summary>A sequence that broke an invariant, with the steps that led there (dates resolved) for a hand repro.</summary>
internal sealed class SequenceFailure(string message) : Exception(message);

/// <summary>
/// Runs one generated sequence through a real <see cref="DealDesk"/> on a fresh SQLite store with a fixed clock, and
/// checks <see cref="BookInvariants"/> after every step; the first step that breaks one throws a
/// <see cref="SequenceFailure"/> naming the invariant and listing the steps taken.
/// </summary>
internal sealed class SequenceRun : IAsyncDisposable
{
    private static readonly CancellationToken None = CancellationToken.None;
    private static readonly TimeProvider Clock = new FixedClock(Now);

    private readonly IReadOnlySet<string> _only;

    // A repro runs every step and reports all it broke; a generated sequence stops at the first step that breaks
    // something, which is what CsCheck shrinks.
    private readonly bool _runToEnd;
    private readonly List<string> _broken = [];
    private readonly List<string> _log = [];
    private readonly Dictionary<DeliveryId, DateTime> _earliest = [];
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"lessor-seq-{Guid.NewGuid():N}.db");
    private LessorStore _store = null!;
    private DealDesk _desk = null!;
    private bool _moved;
    private int _signed;

    private SequenceRun(IReadOnlySet<string> only, bool runToEnd)
    {
        _only = only;
        _runToEnd = runToEnd;
    }

    /// <summary>Runs a generated sequence: its estate and unpinned contracts, then each operation resolved against the book as it stands.</summary>
    public static async Task RunAsync(Sequence sequence, IReadOnlySet<string> only)
    {
        await using var run = new SequenceRun(only, runToEnd: false);
        await run.ExecuteAsync(WithUnpinned(Estate(sequence.Estate), sequence.Estate.Unpinned), sequence.Ops.Count, (i, book) => Resolve(sequence.Ops[i], book));
    }

    /// <summary>Runs written-out steps on a given book (a minimal repro), with the same checks after every step.</summary>
    public static async Task RunAsync(Scenario book, IReadOnlyList<Step> steps)
    {
        await using var run = new SequenceRun(new HashSet<string>(), runToEnd: true);
        await run.ExecuteAsync(book, steps.Count, (i, _) => steps[i]);
    }

    public async ValueTask DisposeAsync()
    {
        if (_store is not null) await _store.DisposeAsync();
        foreach (var file in new[] { _path, _path + "-wal", _path + "-shm" })
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

    private async Task ExecuteAsync(Scenario book, int count, Func<int, Scenario, Step?> stepAt)
    {
        foreach (var d in book.Deliveries) _earliest[d.Id] = d.AcceptanceDate;
        Describe(book);
        _store = await LessorStore.OpenAsync(new StoreLocation.Sqlite(_path), Clock, None);
        await _store.ImportAsync(book, None);
        _desk = await DealDesk.OpenAsync(_store, Clock, None);

        var state = await BookState.ReadAsync(_store, _desk);
        await CheckAsync(state, "after import");
        for (var i = 0; i < count; i++)
        {
            var before = state;
            bool applied;
            try
            {
                applied = stepAt(i, _desk.Scenario) is { } step ? await ApplyAsync(step) : Skip("(no contract to act on)");
            }
            catch (Exception e)
            {
                Fail([new Violation("6.throws", $"the step threw {e.GetType().Name}: {e.Message}")], $"step {i + 1}");
                return;
            }
            state = await BookState.ReadAsync(_store, _desk);
            if (!applied) Fail(BookInvariants.RefusalChangedNothing(before, state).ToList(), $"step {i + 1}");
            await CheckAsync(state, $"step {i + 1}");
        }
        Fail(await BookInvariants.ReimportsAsync(state.Export), "re-import at the end");
        if (_broken.Count > 0) throw new SequenceFailure($"{string.Join("\n", _broken)}\nsteps:\n  {string.Join("\n  ", _log)}");
    }

    /// <summary>
    /// Checks the live desk and a desk opened afresh on the store (as the CLI and a restarted server see the book): the
    /// promises must hold for both.
    /// </summary>
    private async Task CheckAsync(BookState state, string when)
    {
        var violations = new List<Violation>();
        var reopened = await DealDesk.OpenAsync(_store, Clock, None);
        violations.AddRange(BookInvariants.NeverOversold(state.Export, _desk.Uncovered(), DateOf, ""));
        violations.AddRange(BookInvariants.NeverOversold(state.Export, reopened.Uncovered(), DateOf, Reopened));
        violations.AddRange(BookInvariants.MoneyAddsUp(state.Export, _desk, "", _moved));
        violations.AddRange(BookInvariants.MoneyAddsUp(state.Export, reopened, Reopened, _moved));
        violations.AddRange(BookInvariants.RoundTrips(state.Export));
        violations.AddRange(BookInvariants.DeliveriesAnswer(_desk));
        violations.AddRange(BookInvariants.FinanceBookCurrent(_desk, ""));
        violations.AddRange(BookInvariants.DeskAgreesWithStore(state, reopened));
        Fail(violations, when);
    }

    private const string Reopened = "(desk reopened on the store) ";

    private DateTime DateOf(Delivery d) => _earliest.TryGetValue(d.Id, out var e) && e < d.AcceptanceDate ? e : d.AcceptanceDate;

    private void Fail(List<Violation> violations, string when)
    {
        var kept = violations.Where(v => _only.Count == 0 || _only.Any(v.Matches)).ToList();
        if (kept.Count == 0) return;
        var lines = string.Join("\n", kept.Take(6).Select(v => $"  invariant {v.Id} ({BookInvariants.Name(v.Id)}): {v.Message}"));
        if (_runToEnd) _broken.Add($"{when}:\n{lines}");
        else throw new SequenceFailure($"{when}:\n{lines}\nsteps:\n  {string.Join("\n  ", _log)}");
    }

    /// <summary>Adds the sequence's unpinned contracts one by one, keeping each only if the book still validates and every line is placed and covered.</summary>
    private static Scenario WithUnpinned(Scenario estate, IReadOnlyList<LineSpec> specs)
    {
        var book = estate;
        for (var i = 0; i < specs.Count; i++)
        {
            // Extreme prices are tried through the desk's sign; a book imported with one would only repeat that finding.
            var deal = ToDealLine(specs[i] with { Price = specs[i].Price is > 1000m ? null : specs[i].Price }, estate);
            var platform = estate.Platforms.First(p => p.Id == deal.Platform);
            var contract = new Contract
            {
                Id = new ContractId($"p{i + 1}"), Customer = new CustomerId($"c{15 + i}"), SignedOn = Utc.Date(2026, 1, 15), Currency = Currency.Usd,
                Lines =
                [
                    new ContractLine
                    {
                        Id = new LineId("L1"), Platform = deal.Platform, Gpus = deal.Gpus, Period = deal.Period,
                        PricePerGpuHour = deal.PricePerGpuHour ?? platform.Prices.Reserved, Locality = deal.Locality,
                        BlockSize = deal.BlockSize, MinSites = deal.MinSites,
                    },
                ],
            };
            var candidate = book with { Contracts = [.. book.Contracts, contract] };
            var build = CapacityLedger.Build(candidate);
            if (ScenarioValidator.Validate(candidate).Count == 0 && build.Issues.Count == 0 && build.Unplaced.Count == 0 && build.Uncovered.Count == 0)
                book = candidate;
        }
        return book;
    }

    private void Describe(Scenario book)
    {
        foreach (var f in book.Fabrics)
        {
            var site = f.Site.Value;
            var deliveries = book.Deliveries.Where(d => d.Fabric == f.Id)
                .Select(d => $"{d.Id} {d.Units}u {d.Status.ToString().ToLowerInvariant()} {T(d.AcceptanceDate)}");
            _log.Add($"estate: fabric {f.Id} ({site}, {f.Platform}): {string.Join("; ", deliveries)}");
        }
        foreach (var c in book.Contracts)
            _log.Add($"estate: unpinned contract {c.Id} for {c.Customer}: {LineText(c.Lines[0])}");
    }

    /// <summary>A generated operation as a written-out step on the book as it stands; null when there is nothing to act on.</summary>
    private static Step? Resolve(Op op, Scenario book)
    {
        var contracts = book.Contracts;
        switch (op)
        {
            case SignOp sign:
                return new Sign([.. sign.Lines.Select(l => ToDealLine(l, book))]);
            case AmendOp amend when contracts.Count > 0:
            {
                var c = contracts[amend.Contract % contracts.Count];
                var line = c.Lines[amend.Line % c.Lines.Count];
                int? gpus = amend.Units == 0 ? null : UnitsFor(line.Platform, amend.Units) * GpusPerUnit(line.Platform);
                DateTime? end = amend.End switch
                {
                    1 => line.Period.End.AddDays(-10),
                    2 => line.Period.End.AddDays(31),
                    3 => line.Period.End.AddDays(200).AddMinutes(7),
                    4 => line.Period.End.AddDays(400),
                    _ => null,
                };
                return new Amend(c.Id.Value, line.Id.Value, Resolve(amend.Effective, c, line), gpus, end);
            }
            case CancelOp cancel when contracts.Count > 0:
            {
                var c = contracts[cancel.Contract % contracts.Count];
                return new Cancel(c.Id.Value, Resolve(cancel.Effective, c, c.Lines[0]));
            }
            case SlipOp slip:
            {
                var d = book.Deliveries[slip.Delivery % book.Deliveries.Count];
                return new Slip(d.Id.Value, d.AcceptanceDate.AddDays(slip.Days).AddMinutes(slip.Minutes));
            }
            default:
                return null;
        }
    }

    private async Task<bool> ApplyAsync(Step step)
    {
        switch (step)
        {
            case Sign sign:
            {
                _signed++;
                // Two digits: contracts signed at one instant rank by id after a rebuild, as they ranked when signed.
                var id = new ContractId($"k{_signed:00}");
                var customer = new CustomerId($"c{_signed}");
                var outcome = await _desk.SignAsync(new SignRequest(new DealRequest(customer, sign.Lines), id, Now, null), None);
                var asked = string.Join("; ", sign.Lines.Select(LineText));
                _log.Add(outcome.Signed
                    ? $"sign {id} for {customer}: {asked} -> signed, pinned {string.Join("; ", outcome.Contract!.Lines.Select(l => $"{l.Id} {Pins(l.Pinned)}"))}"
                    : $"sign {id} for {customer}: {asked} -> refused: {outcome.Error}");
                return outcome.Signed;
            }
            case Amend amend:
            {
                var c = _desk.Scenario.Contracts.First(x => x.Id.Value == amend.Contract);
                var line = c.Lines.First(l => l.Id.Value == amend.Line);
                var outcome = await _desk.AmendAsync(c.Id, line.Id, amend.Effective, amend.Gpus is { } g ? new GpuCount(g) : null, amend.End, None);
                var asked = $"amend {c.Id}/{line.Id} ({line.Gpus} GPUs {P(line.Period)}) effective {T(amend.Effective)} gpus {(amend.Gpus?.ToString(CultureInfo.InvariantCulture) ?? "-")} end {(amend.End is { } e ? T(e) : "-")}";
                _log.Add(outcome.Applied
                    ? $"{asked} -> applied, now {LineText(outcome.Contract!.Lines.First(l => l.Id == line.Id))}"
                    : $"{asked} -> refused: {outcome.Field}: {outcome.Error}");
                return outcome.Applied;
            }
            case Cancel cancel:
            {
                var outcome = await _desk.CancelAsync(new ContractId(cancel.Contract), cancel.Effective, "test", None);
                _log.Add(outcome.Applied
                    ? $"cancel {cancel.Contract} effective {T(cancel.Effective)} -> applied, fee {outcome.Contract!.Cancellation!.Fee}"
                    : $"cancel {cancel.Contract} effective {T(cancel.Effective)} -> refused: {outcome.Field}: {outcome.Error}");
                return outcome.Applied;
            }
            case Slip slip:
            {
                var id = new DeliveryId(slip.Delivery);
                var from = _desk.Scenario.Deliveries.First(d => d.Id == id).AcceptanceDate;
                var outcome = await _desk.SlipDeliveryAsync(id, slip.To, None);
                if (outcome.Applied)
                {
                    _moved = true;
                    if (slip.To < _earliest[id]) _earliest[id] = slip.To;
                }
                _log.Add(outcome.Applied
                    ? $"slip {id} from {T(from)} to {T(slip.To)} -> applied, uncovered: {string.Join("; ", outcome.Uncovered.Select(u => $"{u.Line} {u.Short} GPUs on {u.Fabric} {P(u.Shortfall)}"))}"
                    : $"slip {id} from {T(from)} to {T(slip.To)} -> refused: {outcome.Error}");
                return outcome.Applied;
            }
            default:
                throw new InvalidOperationException($"Unknown step {step}.");
        }
    }

    /// <summary>A step with nothing to act on changes nothing, like a refusal.</summary>
    private bool Skip(string text)
    {
        _log.Add(text);
        return false;
    }

    /// <summary>An effective date chosen relative to the line: inside its term, before its latest amendment, at its start, before it, after it.</summary>
    private static DateTime Resolve(When when, Contract c, ContractLine line)
    {
        var start = line.Period.Start;
        var end = line.Period.End;
        DateTime? latest = c.Amendments.Where(a => a.Line == line.Id).Select(a => (DateTime?)a.EffectiveOn).Max();
        DateTime Between(DateTime a, DateTime b) => b <= a ? a : Floor(a.AddTicks((b - a).Ticks / 1000 * when.Permille));
        return when.Kind switch
        {
            WhenKind.InTerm => Between(start, end),
            WhenKind.BeforeLatestAmendment => latest is { } l ? Between(start, l) : Between(start, end),
            WhenKind.AtStartOrLatest => when.Permille % 2 == 1 && latest is { } l ? l : start,
            WhenKind.BeforeStart => start.AddHours(-1 - when.Permille),
            _ => end.AddHours(when.Permille),
        };
    }

    private static DateTime Floor(DateTime t) => new(t.Ticks - t.Ticks % TimeSpan.TicksPerMinute, DateTimeKind.Utc);

    private static string T(DateTime t) => t.ToString("yyyy-MM-ddTHH:mm", CultureInfo.InvariantCulture);

    private static string P(Period p) => $"{T(p.Start)}..{T(p.End)}";

    private static string Pins(IReadOnlyList<PlacedBlock> pinned) => pinned.Count == 0 ? "-" : string.Join("+", pinned.Select(b => $"{b.Fabric}:{b.Units}"));

    private static string LineText(DealLine l) =>
        $"{l.Platform} {l.Gpus} GPUs {l.Locality.ToString().ToLowerInvariant()} {P(l.Period)} block {(l.BlockSize?.ToString() ?? "-")} min-sites {l.MinSites} price {(l.PricePerGpuHour?.Amount.ToString(CultureInfo.InvariantCulture) ?? "list")}";

    private static string LineText(ContractLine l) =>
        $"{l.Id} {l.Platform} {l.Gpus} GPUs {l.Locality.ToString().ToLowerInvariant()} {P(l.Period)} block {(l.BlockSize?.ToString() ?? "-")} min-sites {l.MinSites} pinned {Pins(l.Pinned)}";
}
