using System.Runtime.CompilerServices;
using Lessor.Core.Claims;
using Lessor.Core.Contracts;
using Lessor.Core.Finance;
using Lessor.Core.Ledger;
using Lessor.Core.Model;
using Lessor.Storage.Store;

namespace Lessor.Server.Desk;

// The desk's finance side: the finance book and coverage snapshot kept current across writes, the background warm-up,
// and the book built from nothing that tests and benchmarks compare with (docs/incremental-finance.md).
public sealed partial class DealDesk
{
    /// <summary>
    /// The finance book (every line's revenue schedule) of the current book, kept current across writes: the first
    /// read after a write recomputes only the contracts the write changed and the lines whose coverage it moved (those
    /// on the fabrics it touched), so KPIs for any date and revenue reports cost about the same after a write as before.
    /// </summary>
    public FinanceBook FinanceBook() => Current().Book;

    /// <summary>Each committed line's GPUs on accepted units over time, for finance: a snapshot taken now.</summary>
    public ICoverageSource Coverage() => CoverageSource.FromMap(Current().Coverage.Map);

    /// <summary>
    /// Builds the finance book and runs each ledger question once on a small deal of every platform that has a fabric, so
    /// that the first questions after a start pay neither the book's build nor the JIT. Answers are discarded; nothing is
    /// written. Failures are logged, never thrown (it runs in the background).
    /// </summary>
    public void WarmUp(Microsoft.Extensions.Logging.ILogger logger)
    {
        try
        {
            var watch = System.Diagnostics.Stopwatch.StartNew();
            var scenario = Scenario;
            FinanceReport.Kpis(FinanceBook(), DateTime.UtcNow.Date, FinanceSettings.Default);
            var customer = scenario.Customers.Count > 0 ? scenario.Customers[0].Id : new CustomerId("warm-up");
            var start = new DateTime(DateTime.UtcNow.Year + 1, 1, 1, 0, 0, 0, DateTimeKind.Utc);
            foreach (var platform in scenario.Platforms)
            {
                if (!scenario.Fabrics.Any(f => f.Platform == platform.Id)) continue;
                var deal = new DealRequest(customer, [new DealLine { Platform = platform.Id, Gpus = new GpuCount(platform.GpusPerUnit), Period = new Period(start, start.AddYears(1)) }]);
                Check(deal);
                Earliest(deal, start, start.AddYears(5));
                Largest(deal);
                Impact(deal);
            }
            Lessor.Server.Log.WarmedUp(logger, watch.ElapsedMilliseconds);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            Lessor.Server.Log.WarmUpFailed(logger, e);
        }
    }

    /// <summary>
    /// The finance book built from nothing on this desk's ledger as it stands: what <see cref="FinanceBook"/> must equal
    /// (tests check it after every step of random sequences; benchmarks time it as the baseline).
    /// </summary>
    internal FinanceBook FinanceBookFromScratch()
    {
        var scenario = Scenario;
        IReadOnlyDictionary<LineRef, IReadOnlyList<CoverageStep>> map;
        lock (_ledgerGate) map = _ledger.CoverageWithTails(ExtendsTerm(scenario));
        return Core.Finance.FinanceBook.Build(scenario, CoverageSource.FromMap(map));
    }

    /// <summary>Brings the coverage snapshot and the finance book up to the ledger and book as they stand, together.</summary>
    private (FinanceBook Book, CoverageSnapshot Coverage) Current()
    {
        lock (_bookGate)
        {
            var scenario = Scenario;
            CoverageSnapshot coverage;
            lock (_ledgerGate)
            {
                if (_book is not null && _coverage is not null && ReferenceEquals(_bookOf, scenario) && _coverage.IsCurrent(_ledger))
                    return (_book, _coverage);
                var dirty = _bookOf is null ? null : ChangedLines(_bookOf, scenario);
                coverage = _ledger.CoverageWithTails(ExtendsTerm(scenario), _coverage, dirty);
            }
            var source = CoverageSource.FromMap(coverage.Map);
            if (_book is null || coverage.Changed is null)
            {
                _book = Core.Finance.FinanceBook.Build(scenario, source);
            }
            else
            {
                _book = Core.Finance.FinanceBook.Update(_book, scenario, source, coverage.Changed);
            }
            _bookOf = scenario;
            _coverage = coverage;
            return (_book, coverage);
        }
    }

    /// <summary>The lines of contracts that are new or changed (not the same objects) between two books.</summary>
    private static List<LineRef> ChangedLines(Scenario before, Scenario after)
    {
        var result = new List<LineRef>();
        if (ReferenceEquals(before.Contracts, after.Contracts)) return result;
        var old = new Dictionary<ContractId, Contract>(before.Contracts.Count);
        foreach (var c in before.Contracts) old[c.Id] = c;
        foreach (var c in after.Contracts)
        {
            if (old.TryGetValue(c.Id, out var was) && ReferenceEquals(was, c)) continue;
            foreach (var l in c.Lines) result.Add(new LineRef(c.Id, l.Id));
            foreach (var a in c.Amendments) if (a.Line is { } line) result.Add(new LineRef(c.Id, line));
        }
        return result;
    }

    /// <summary>
    /// Late GPU-time is made up after the term on free capacity for contracts whose terms extend (the default); a
    /// contract that forfeits it gets no tail. Null when every contract extends.
    /// </summary>
    private static Func<LineRef, bool>? ExtendsTerm(Scenario scenario)
    {
        HashSet<ContractId>? forfeits = null;
        foreach (var c in scenario.Contracts)
            if (c.LateDelivery == LateDeliveryRule.Forfeit) (forfeits ??= []).Add(c.Id);
        return forfeits is null ? null : line => !forfeits.Contains(line.Contract);
    }

    /// <summary>
    /// Coverage now, for a preview under the ledger lock: brought up from the last snapshot without replacing it (the
    /// finance book advances with the snapshot it was built from).
    /// </summary>
    private CoverageSnapshot CoverageLocked(CoverageSnapshot? since) =>
        _ledger.CoverageWithTails(ExtendsTerm(Scenario), since, null);
}
