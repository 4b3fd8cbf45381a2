using Lessor.Core.Finance;
using Lessor.Core.Ledger;
using Lessor.Core.Model;

namespace Lessor.Core.Risk;

/// <summary>One thread's trials: its own ledger (changed per trial and restored exactly), its scratch arrays.</summary>
internal sealed class RiskWorker
{
    private readonly RiskBook _b;
    private readonly CapacityLedger _ledger;
    private readonly long[] _deliveryShift;
    private readonly long[] _stepShift;
    private readonly long[][] _stepEff;
    private readonly long[] _acceptance;
    private readonly double[] _down;
    private readonly List<int> _downTouched = [];
    private readonly FailureCells? _cells;
    private readonly List<(DeliveryId Id, Delivery Before, Delivery After)> _applied = [];
    private readonly int[] _windowLines;
    private CoverageSnapshot _plan;

    // The current trial's coverage and the contracts whose schedules it changed.
    private IReadOnlyDictionary<LineRef, IReadOnlyList<CoverageStep>> _coverage;
    private readonly Dictionary<int, ContractStats> _changed = [];
    private readonly Dictionary<(int, int), (int[] Contracts, double[] Cum)> _weights = [];

    public RiskWorker(RiskBook book)
    {
        _b = book;
        _ledger = CapacityLedger.Build(book.Scenario).Ledger;
        // The plan's coverage on this worker's own ledger: a trial recomputes only the lines its slips can reach.
        _plan = _ledger.CoverageWithTails(book.ExtendsTerm, null, null);
        _deliveryShift = new long[book.Movable.Length];
        _stepShift = new long[book.Steps.Length];
        _stepEff = new long[book.Scenario.Sites.Count][];
        for (var s = 0; s < _stepEff.Length; s++) _stepEff[s] = new long[book.Scenario.Sites[s].Power.Count];
        _acceptance = new long[book.Scenario.Deliveries.Count];
        _down = new double[book.Scenario.Contracts.Count * book.Months.Length];
        if (book.Model.Failures is { } f) _cells = new FailureCells(f);
        _coverage = book.BaseCoverage;
        var window = new List<int>();
        for (var i = 0; i < book.Lines.Length; i++)
            if (book.LineStart[i] >= book.FromMinute && book.LineStart[i] < book.UntilMinute) window.Add(i);
        _windowLines = [.. window];
    }

    public RiskTrial Trial(ulong seed, int trial)
    {
        // Two uniforms per delivery and per step, whether or not they have a rule: the draws line up across policies.
        var rng = new RiskRandom(seed, trial, 0);
        for (var d = 0; d < _b.Movable.Length; d++)
        {
            var u1 = rng.Next();
            var u2 = rng.Next();
            _deliveryShift[d] = _b.Movable[d].Rule is { } rule ? RiskBook.Minutes(rule.Days(u1, u2)) : 0;
        }
        for (var k = 0; k < _b.Steps.Length; k++)
        {
            var u1 = rng.Next();
            var u2 = rng.Next();
            _stepShift[k] = RiskBook.Minutes(_b.Steps[k].Rule.Days(u1, u2));
        }
        Apply();
        try
        {
            var q = _b.QuarterLabels.Length;
            var revenue = new decimal[q];
            var rpo = new decimal[q];
            Revenue(revenue, rpo);
            var shortStarts = new int[q];
            var shortLines = ShortLines(shortStarts);
            var (energized, inService) = Megawatts();
            var credits = new decimal[q];
            var availability = new decimal[q];
            Array.Fill(availability, 1m);
            long demands = 0, stockouts = 0;
            var contractCredits = _cells is null ? [] : Failures(seed, trial, credits, availability, ref demands, ref stockouts);
            return new RiskTrial
            {
                Trial = trial,
                Revenue = revenue,
                RpoConverted = rpo,
                Credits = credits,
                MwEnergized = energized,
                MwInService = inService,
                ShortStarts = shortStarts,
                Availability = availability,
                SpareDemands = demands,
                Stockouts = stockouts,
                ShortLines = shortLines,
                ContractCredits = contractCredits,
            };
        }
        finally
        {
            Undo();
        }
    }

    /// <summary>Revenue in the first twelve months of the window with these shifts (minutes) and no failures.</summary>
    public decimal NextYearRevenue(long[] deliveryShift, long[] stepShift)
    {
        Array.Copy(deliveryShift, _deliveryShift, deliveryShift.Length);
        Array.Copy(stepShift, _stepShift, stepShift.Length);
        Apply();
        try
        {
            var revenue = new decimal[_b.QuarterLabels.Length];
            Revenue(revenue, new decimal[revenue.Length]);
            var sum = 0m;
            for (var i = 0; i < _b.NextYearQuarters; i++) sum += revenue[i];
            return sum;
        }
        finally
        {
            Undo();
        }
    }

    /// <summary>Energizes steps and accepts deliveries at their drawn dates, in the ledger; then coverage and changed schedules.</summary>
    private void Apply()
    {
        var sc = _b.Scenario;
        for (var s = 0; s < _stepEff.Length; s++)
        {
            var power = sc.Sites[s].Power;
            var previous = long.MinValue;
            for (var k = 0; k < power.Count; k++)
            {
                var u = _b.StepOf[s][k];
                var t = Utc.ToMinute(power[k].From) + (u >= 0 ? _stepShift[u] : 0);
                // Steps are built in order: a later one is never energized before an earlier one.
                _stepEff[s][k] = previous = Math.Max(previous, t);
            }
        }
        for (var i = 0; i < _acceptance.Length; i++) _acceptance[i] = Utc.ToMinute(sc.Deliveries[i].AcceptanceDate);
        foreach (var m in _b.Movable)
        {
            var t = m.Planned + _deliveryShift[_b.DeliveryMovable[m.Index]];
            // A delivery is not accepted before the power it was planned on is energized.
            if (m.GatingStep >= 0)
            {
                var st = _b.Steps[m.GatingStep];
                t = Math.Max(t, _stepEff[st.Site][st.Step]);
            }
            _acceptance[m.Index] = t;
            if (t == m.Planned) continue;
            var after = m.Delivery with { AcceptanceDate = Utc.FromMinute(t), OriginalAcceptanceDate = m.Delivery.OriginalAcceptanceDate ?? m.Delivery.AcceptanceDate };
            _ledger.ReplaceDelivery(m.Delivery.Id, m.Delivery, after);
            _applied.Add((m.Delivery.Id, m.Delivery, after));
        }
        _changed.Clear();
        _weights.Clear();
        _changedCells = null;
        if (_applied.Count == 0)
        {
            _coverage = _b.BaseCoverage;
            return;
        }
        _coverage = _ledger.CoverageWithTails(_b.ExtendsTerm, _plan, null).Map;
        for (var i = 0; i < _b.Lines.Length; i++)
        {
            var c = _b.LineContract[i];
            if (_changed.ContainsKey(c)) continue;
            var now = _coverage.GetValueOrDefault(_b.Lines[i]);
            var was = _b.BaseCoverage.GetValueOrDefault(_b.Lines[i]);
            if (Same(now, was)) continue;
            var schedule = RevenueSchedule.ForContract(sc.Contracts[c], CoverageSource.FromMap(_coverage));
            _changed[c] = _b.Stats(c, schedule);
        }
    }

    private void Undo()
    {
        if (_applied.Count == 0) return;
        for (var i = _applied.Count - 1; i >= 0; i--) _ledger.ReplaceDelivery(_applied[i].Id, _applied[i].After, _applied[i].Before);
        _applied.Clear();
        // The ledger is the plan again, bit for bit, with newer stamps: the plan's coverage restamped, so the next trial
        // recomputes only what it moves.
        _plan = new CoverageSnapshot(_ledger, (long[])_ledger.FabricStamp.Clone(), _ledger.PieceChanges,
            (Dictionary<LineRef, IReadOnlyList<CoverageStep>>)_plan.Map, _plan.Tails, null);
    }

    private static bool Same(IReadOnlyList<CoverageStep>? a, IReadOnlyList<CoverageStep>? b)
    {
        if (ReferenceEquals(a, b)) return true;
        if (a is null || b is null || a.Count != b.Count) return false;
        for (var i = 0; i < a.Count; i++) if (a[i] != b[i]) return false;
        return true;
    }

    private ContractStats StatsOf(int c) => _changed.TryGetValue(c, out var s) ? s : _b.BaseStats[c];

    private void Revenue(decimal[] revenue, decimal[] rpo)
    {
        Array.Copy(_b.BaseQuarter, revenue, revenue.Length);
        Array.Copy(_b.BaseRpo, rpo, rpo.Length);
        foreach (var (c, stats) in _changed.OrderBy(x => x.Key))
        {
            if (_b.Scenario.Contracts[c].Currency != _b.Scenario.Currency) continue;
            var base0 = _b.BaseStats[c].Quarter;
            for (var q = 0; q < revenue.Length; q++)
            {
                var delta = stats.Quarter[q] - base0[q];
                revenue[q] += delta;
                if (_b.CountsForRpo[c]) rpo[q] += delta;
            }
        }
    }

    private int[] ShortLines(int[] perQuarter)
    {
        var result = new List<int>();
        foreach (var i in _windowLines)
        {
            if (_coverage.GetValueOrDefault(_b.Lines[i]) is not { Count: > 0 } steps) continue;
            var start = _b.LineStart[i];
            var gpus = 0;
            foreach (var s in steps)
            {
                if (Utc.ToMinute(s.From) > start) break;
                gpus = s.Gpus.Value;
            }
            if (gpus >= _b.LineGpus[i]) continue;
            result.Add(i);
            for (var q = 0; q < perQuarter.Length; q++)
                if (start >= _b.QuarterSpans[q].A && start < _b.QuarterSpans[q].B) perQuarter[q]++;
        }
        return [.. result];
    }

    private (decimal[] Energized, decimal[] InService) Megawatts()
    {
        var q = _b.QuarterLabels.Length;
        var energized = new decimal[q];
        var inService = new decimal[q];
        var sites = _b.Scenario.Sites;
        for (var s = 0; s < sites.Count; s++)
        {
            var first = long.MaxValue;
            foreach (var (d, _) in _b.SiteDeliveries[s]) first = Math.Min(first, _acceptance[d]);
            for (var i = 0; i < q; i++)
            {
                var at = _b.QuarterSpans[i].B - 1;
                var mw = 0m;
                for (var k = 0; k < sites[s].Power.Count; k++) if (_stepEff[s][k] <= at) mw = sites[s].Power[k].Mw;
                energized[i] += mw;
                if (first <= at) inService[i] += mw;
            }
        }
        return (energized, inService);
    }

    /// <summary>
    /// Each site's interruptions per month (<see cref="FailureCells"/>), on each contract in proportion to its covered
    /// GPU-hours there and on idle capacity for the rest; then SLA credits for contract-months below their target. Each
    /// (site, month, owner) draws from its own stream, so two policies line up draw for draw.
    /// </summary>
    private ContractCredit[] Failures(ulong seed, int trial, decimal[] credits, decimal[] availability, ref long demands, ref long stockouts)
    {
        var cells = _cells!;
        var g = cells.GpusPerFailure;
        var months = _b.Months;
        var m = months.Length;
        var contracts = _b.Scenario.Contracts.Count;
        foreach (var i in _downTouched) _down[i] = 0;
        _downTouched.Clear();
        var downQ = new double[availability.Length];
        var hoursQ = new double[availability.Length];
        var changeAt = new List<double>();
        var domains = new List<int>();
        var events = new List<(long At, int Gpus)>();
        for (var s = 0; s < _b.SiteDeliveries.Length; s++)
        {
            if (_b.SiteDeliveries[s].Count == 0) continue;
            events.Clear();
            foreach (var (d, gpus) in _b.SiteDeliveries[s]) if (_acceptance[d] < _b.UntilMinute) events.Add((Math.Max(_acceptance[d], _b.FromMinute), gpus));
            if (events.Count == 0) continue;
            events.Sort((x, y) => x.At.CompareTo(y.At));
            changeAt.Clear();
            domains.Clear();
            changeAt.Add(0);
            domains.Add(0);
            var total = 0;
            foreach (var (at, gpus) in events)
            {
                total += gpus;
                var h = (at - _b.FromMinute) / 60.0;
                if (changeAt[^1] == h) domains[^1] = total / g;
                else { changeAt.Add(h); domains.Add(total / g); }
            }
            var supply = SupplyHours(changeAt, domains, g);
            for (var k = 0; k < m; k++)
            {
                if (supply[k] <= 0) continue;
                var hours = (months[k].B - months[k].A) / 60.0;
                var domainsInService = supply[k] / g / hours;
                var spares = (int)Math.Ceiling(_b.Model.Spares.Fraction * domainsInService - 1e-9);
                var (a, stockout) = cells.Steady(domainsInService, spares);
                var failures = supply[k] / g * a / cells.HoursPerDomainFailure;
                var (ids, cum) = Weights(s, k);
                var committed = cum.Length == 0 ? 0 : cum[^1];
                var whole = Math.Max(committed, supply[k]);
                var down = 0.0;
                var previous = 0.0;
                for (var i = 0; i < ids.Length; i++)
                {
                    var share = (cum[i] - previous) / whole;
                    previous = cum[i];
                    var rng = new RiskRandom(seed, trial, Stream(s, k, ids[i], contracts));
                    var gpuHours = g * cells.Down(failures * share, stockout, rng, ref demands, ref stockouts);
                    down += gpuHours;
                    var idx = ids[i] * m + k;
                    if (_down[idx] == 0 && gpuHours > 0) _downTouched.Add(idx);
                    _down[idx] += gpuHours;
                }
                if (whole > committed)
                    down += g * cells.Down(failures * (whole - committed) / whole, stockout, new RiskRandom(seed, trial, Stream(s, k, contracts, contracts)), ref demands, ref stockouts);
                downQ[_b.MonthQuarter[k]] += down;
                hoursQ[_b.MonthQuarter[k]] += supply[k];
            }
        }
        for (var q = 0; q < availability.Length; q++)
            if (hoursQ[q] > 0) availability[q] = Math.Round((decimal)Math.Max(0, 1 - downQ[q] / hoursQ[q]), 8);
        // Credits for contract-months below their SLA target.
        var byContract = new SortedDictionary<int, (int Below, decimal Credit)>();
        _downTouched.Sort();
        foreach (var idx in _downTouched)
        {
            var c = idx / m;
            var k = idx % m;
            var contract = _b.Scenario.Contracts[c];
            if (contract.Sla is not { } sla) continue;
            var stats = StatsOf(c);
            if (stats.GpuHours[k] <= 0) continue;
            var fleet = Math.Max(0, 1 - _down[idx] / stats.GpuHours[k]);
            if (fleet >= (double)sla.AvailabilityTarget) continue;
            var step = Math.Max(1e-9, 1 - (double)sla.AvailabilityTarget);
            var tiers = (int)Math.Min(1_000_000, Math.Ceiling(((double)sla.AvailabilityTarget - fleet) / step));
            var fraction = Math.Min(sla.CreditCapFraction, sla.CreditFraction * tiers);
            var credit = contract.Currency == _b.Scenario.Currency ? fraction * stats.Charge[k] : 0m;
            credits[_b.MonthQuarter[k]] += credit;
            var (below, sum) = byContract.GetValueOrDefault(c);
            byContract[c] = (below + 1, sum + credit);
        }
        return [.. byContract.Select(x => new ContractCredit(x.Key, x.Value.Below, x.Value.Credit))];
    }

    /// <summary>A stream per (site, month, owner); owner == contracts is idle capacity. Stream 0 is the delays'.</summary>
    private long Stream(int site, int month, int owner, int contracts) => 1 + ((long)site * _b.Months.Length + month) * (contracts + 1) + owner;

    /// <summary>GPU-hours in service per month at a site (the step function of domains, in GPUs).</summary>
    private double[] SupplyHours(List<double> changeAt, List<int> domains, int g)
    {
        var months = _b.Months;
        var result = new double[months.Length];
        for (var k = 0; k < months.Length; k++)
        {
            var a = (months[k].A - _b.FromMinute) / 60.0;
            var b = (months[k].B - _b.FromMinute) / 60.0;
            for (var i = 0; i < changeAt.Count; i++)
            {
                var lo = Math.Max(a, changeAt[i]);
                var hi = Math.Min(b, i + 1 < changeAt.Count ? changeAt[i + 1] : double.PositiveInfinity);
                if (hi > lo) result[k] += (double)domains[i] * g * (hi - lo);
            }
        }
        return result;
    }

    /// <summary>The contracts' covered GPU-hours at a site in a month: the plan's, with the trial's for contracts it changed.</summary>
    private (int[] Contracts, double[] Cum) Weights(int site, int k)
    {
        var plan = _b.SiteMonthContracts[site, k];
        if (_changed.Count == 0) return plan;
        if (_changedCells is null)
        {
            // Once per trial: the cells the changed contracts sit in, on plan or now, and their GPU-hours there now.
            _changedCells = [];
            foreach (var (c, stats) in _changed.OrderBy(x => x.Key))
            {
                foreach (var (s, month, _) in _b.BaseStats[c].SiteMonthHours)
                    if (!_changedCells.ContainsKey((s, month))) _changedCells[(s, month)] = [];
                foreach (var (s, month, h) in stats.SiteMonthHours)
                {
                    if (!_changedCells.TryGetValue((s, month), out var list)) _changedCells[(s, month)] = list = [];
                    list.Add((c, h));
                }
            }
        }
        if (!_changedCells.TryGetValue((site, k), out var now)) return plan;
        if (_weights.TryGetValue((site, k), out var cached)) return cached;
        var merged = new List<(int Contract, double Hours)>();
        var previous = 0.0;
        for (var i = 0; i < plan.Contracts.Length; i++)
        {
            var h = plan.Cum[i] - previous;
            previous = plan.Cum[i];
            if (!_changed.ContainsKey(plan.Contracts[i])) merged.Add((plan.Contracts[i], h));
        }
        merged.AddRange(now);
        var result = RiskBook.Cumulative(merged);
        _weights[(site, k)] = result;
        return result;
    }

    private Dictionary<(int, int), List<(int Contract, double Hours)>>? _changedCells;
}
