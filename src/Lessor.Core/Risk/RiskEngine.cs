using System.Globalization;
using Lessor.Core.Finance;
using Lessor.Core.Ledger;
using Lessor.Core.Model;

namespace Lessor.Core.Risk;

/// <summary>
/// Monte Carlo over the book: each trial draws delivery and power delays and fleet failures, applies the delays to a
/// copy of the ledger (the desk's ledger code, undone after the trial), takes coverage from it and revenue from the
/// finance schedules, and records per quarter revenue, RPO converted, MW, lines short at their start and SLA credits.
/// Deterministic for any number of threads: trial i draws only from streams seeded by (seed, i).
/// </summary>
public static class RiskEngine
{
    /// <summary>Runs trials FirstTrial..FirstTrial+Count of the options on <paramref name="scenario"/>.</summary>
    public static RiskRun Run(Scenario scenario, RiskOptions options)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        ArgumentNullException.ThrowIfNull(options);
        var count = options.Count ?? options.Trials - options.FirstTrial;
        if (options.Trials <= 0 || options.FirstTrial < 0 || count < 0 || options.FirstTrial + count > options.Trials)
            throw new ArgumentException("Trials must be positive and the shard inside them.", nameof(options));
        if (options.Threads <= 0) throw new ArgumentException("Threads must be positive.", nameof(options));
        var book = new RiskBook(scenario, options.From, options.Until, options.Policy);
        var rows = new RiskTrial[count];
        var threads = Math.Min(options.Threads, Math.Max(1, count));
        // Contiguous chunks, one ledger per worker; each trial's figures depend only on (seed, trial).
        Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, w =>
        {
            var worker = new RiskWorker(book);
            var lo = (int)((long)count * w / threads);
            var hi = (int)((long)count * (w + 1) / threads);
            for (var i = lo; i < hi; i++) rows[i] = worker.Trial(options.Seed, options.FirstTrial + i);
        });
        return book.Header(options) with { Rows = rows };
    }

    /// <summary>
    /// One-at-a-time swings of next year's revenue ([from, from + 12 months) within the window): each uncertain delivery,
    /// then each site's future power steps, at its P10 and P90 delay with everything else on plan; largest swing first.
    /// </summary>
    public static IReadOnlyList<TornadoBar> Tornado(Scenario scenario, DateTime from, DateTime until, UncertaintyPolicy? policy = null)
    {
        var book = new RiskBook(scenario, from, until, policy);
        var worker = new RiskWorker(book);
        var bars = new List<TornadoBar>();
        var cur = scenario.Currency;
        var deliveryShift = new long[book.Movable.Length];
        var stepShift = new long[book.Steps.Length];
        for (var d = 0; d < book.Movable.Length; d++)
        {
            if (book.Movable[d].Rule is not { } rule) continue;
            deliveryShift[d] = RiskBook.Minutes(rule.DaysAtLevel(0.1));
            var low = worker.NextYearRevenue(deliveryShift, stepShift);
            deliveryShift[d] = RiskBook.Minutes(rule.DaysAtLevel(0.9));
            var high = worker.NextYearRevenue(deliveryShift, stepShift);
            deliveryShift[d] = 0;
            bars.Add(new TornadoBar("delivery", book.Movable[d].Delivery.Id.Value, new Money(low, cur), new Money(high, cur), new Money(low - high, cur)));
        }
        foreach (var site in book.Steps.Select(x => x.Site).Distinct().ToList())
        {
            for (var k = 0; k < book.Steps.Length; k++) if (book.Steps[k].Site == site) stepShift[k] = RiskBook.Minutes(book.Steps[k].Rule.DaysAtLevel(0.1));
            var low = worker.NextYearRevenue(deliveryShift, stepShift);
            for (var k = 0; k < book.Steps.Length; k++) if (book.Steps[k].Site == site) stepShift[k] = RiskBook.Minutes(book.Steps[k].Rule.DaysAtLevel(0.9));
            var high = worker.NextYearRevenue(deliveryShift, stepShift);
            Array.Clear(stepShift);
            bars.Add(new TornadoBar("site power", scenario.Sites[site].Id.Value, new Money(low, cur), new Money(high, cur), new Money(low - high, cur)));
        }
        bars.Sort((a, b) =>
        {
            var c = b.Swing.Amount.CompareTo(a.Swing.Amount);
            return c != 0 ? c : string.CompareOrdinal(a.Id, b.Id);
        });
        return bars;
    }
}

/// <summary>Everything a trial needs that does not change between trials: the plan, its schedules and its indices.</summary>
internal sealed class RiskBook
{
    internal sealed record MovableDelivery(int Index, Delivery Delivery, int Site, long Planned, DelayRule? Rule, int GatingStep);
    internal sealed record UncertainStep(int Site, int Step, long Planned, DelayRule Rule);

    public RiskBook(Scenario scenario, DateTime from, DateTime until, UncertaintyPolicy? policy)
    {
        if (until <= from) throw new ArgumentException("The window must end after it starts.", nameof(until));
        Scenario = scenario;
        Model = scenario.Uncertainty ?? new UncertaintyModel();
        if (policy is not null) Model = Model.With(policy);
        PolicyName = policy?.Name ?? "book";
        FromMinute = Utc.ToMinute(from);
        UntilMinute = Utc.ToMinute(until);
        From = from;
        Until = until;

        // Months and quarters of the window, cut to it.
        var months = new List<(long A, long B)>();
        var quarters = new List<(long A, long B, string Label)>();
        var monthQuarter = new List<int>();
        for (var m = new DateTime(from.Year, from.Month, 1, 0, 0, 0, DateTimeKind.Utc); m < until; m = m.AddMonths(1))
        {
            var label = string.Create(CultureInfo.InvariantCulture, $"{m.Year:D4}-Q{(m.Month - 1) / 3 + 1}");
            var a = Math.Max(FromMinute, Utc.ToMinute(m));
            var b = Math.Min(UntilMinute, Utc.ToMinute(m.AddMonths(1)));
            if (quarters.Count == 0 || quarters[^1].Label != label) quarters.Add((a, b, label));
            else quarters[^1] = (quarters[^1].A, b, label);
            months.Add((a, b));
            monthQuarter.Add(quarters.Count - 1);
        }
        Months = [.. months];
        QuarterSpans = [.. quarters.Select(q => (q.A, q.B))];
        QuarterLabels = [.. quarters.Select(q => q.Label)];
        MonthQuarter = [.. monthQuarter];
        var yearEnd = Utc.ToMinute(from.AddMonths(12));
        NextYearQuarters = quarters.Count(q => q.A < yearEnd);

        SiteIndex = new Dictionary<SiteId, int>();
        for (var i = 0; i < scenario.Sites.Count; i++) SiteIndex[scenario.Sites[i].Id] = i;
        var fabricSite = scenario.Fabrics.ToDictionary(f => f.Id, f => SiteIndex[f.Site]);
        var fabricPlatform = scenario.Fabrics.ToDictionary(f => f.Id, f => f.Platform);
        var platforms = scenario.Platforms.ToDictionary(p => p.Id);

        // Future power steps with a rule, and the deliveries that can move (a rule of their own, or a step they wait for).
        var steps = new List<UncertainStep>();
        StepOf = new int[scenario.Sites.Count][];
        for (var s = 0; s < scenario.Sites.Count; s++)
        {
            var site = scenario.Sites[s];
            StepOf[s] = new int[site.Power.Count];
            for (var k = 0; k < site.Power.Count; k++)
            {
                StepOf[s][k] = -1;
                var planned = Utc.ToMinute(site.Power[k].From);
                if (planned < FromMinute) continue;
                if (Best(Model.Power, r => (r.Match.Site is null || r.Match.Site == site.Id.Value) && (r.Match.Step is null || r.Match.Step == site.Power[k].From)) is not { } rule) continue;
                StepOf[s][k] = steps.Count;
                steps.Add(new UncertainStep(s, k, planned, rule));
            }
        }
        Steps = [.. steps];
        var movable = new List<MovableDelivery>();
        SiteDeliveries = new List<(int Delivery, int Gpus)>[scenario.Sites.Count];
        for (var s = 0; s < SiteDeliveries.Length; s++) SiteDeliveries[s] = [];
        DeliveryMovable = new int[scenario.Deliveries.Count];
        for (var i = 0; i < scenario.Deliveries.Count; i++)
        {
            var d = scenario.Deliveries[i];
            DeliveryMovable[i] = -1;
            var s = fabricSite[d.Fabric];
            var platform = platforms[fabricPlatform[d.Fabric]];
            SiteDeliveries[s].Add((i, d.Units * platform.GpusPerUnit));
            if (d.Status == DeliveryStatus.Accepted) continue;
            var rule = Best(Model.Deliveries, r => (r.Match.Delivery is null || r.Match.Delivery == d.Id.Value) && (r.Match.Site is null || r.Match.Site == scenario.Sites[s].Id.Value)
                && (r.Match.Platform is null || r.Match.Platform == platform.Id.Value) && (r.Match.Vendor is null || r.Match.Vendor == platform.Vendor));
            var planned = Utc.ToMinute(d.AcceptanceDate);
            var gating = -1;
            var power = scenario.Sites[s].Power;
            for (var k = 0; k < power.Count; k++) if (Utc.ToMinute(power[k].From) <= planned) gating = StepOf[s][k];
            if (rule is null && gating < 0) continue;
            DeliveryMovable[i] = movable.Count;
            movable.Add(new MovableDelivery(i, d, s, planned, rule, gating));
        }
        Movable = [.. movable];

        // The plan: the desk's ledger, coverage with late GPU-time made up, and every contract's schedule.
        Forfeits = [.. scenario.Contracts.Where(c => c.LateDelivery == LateDeliveryRule.Forfeit).Select(c => c.Id)];
        var ledger = CapacityLedger.Build(scenario).Ledger;
        BaseCoverage = ledger.CoverageWithTails(ExtendsTerm);
        var source = CoverageSource.FromMap(BaseCoverage);
        var lines = new List<LineRef>();
        var lineContract = new List<int>();
        var lineSites = new List<(int Site, double Share)[]>();
        ContractIndex = new Dictionary<ContractId, int>();
        BaseSchedules = new ContractSchedule[scenario.Contracts.Count];
        BaseStats = new ContractStats[scenario.Contracts.Count];
        CountsForRpo = new bool[scenario.Contracts.Count];
        ContractLines = new int[scenario.Contracts.Count][];
        for (var c = 0; c < scenario.Contracts.Count; c++)
        {
            var contract = scenario.Contracts[c];
            ContractIndex[contract.Id] = c;
            CountsForRpo[c] = contract.Kind == ContractKind.TakeOrPay && contract.SignedOn < from && contract.Currency == scenario.Currency;
            var schedule = RevenueSchedule.ForContract(contract, source);
            BaseSchedules[c] = schedule;
            var mine = new List<int>();
            foreach (var line in schedule.Lines)
            {
                mine.Add(lines.Count);
                lines.Add(line.Line);
                lineContract.Add(c);
                var units = new Dictionary<int, int>();
                foreach (var (fabric, u, _) in ledger.PlacementOf(line.Line)) units[fabricSite[fabric]] = units.GetValueOrDefault(fabricSite[fabric]) + u;
                var total = units.Values.Sum();
                lineSites.Add([.. units.OrderBy(x => x.Key).Select(x => (x.Key, (double)x.Value / total))]);
            }
            ContractLines[c] = [.. mine];
        }
        Lines = [.. lines];
        LineContract = [.. lineContract];
        LineSites = [.. lineSites];
        LineStart = new long[Lines.Length];
        LineGpus = new int[Lines.Length];
        var states = ledger.Lines;
        for (var i = 0; i < Lines.Length; i++)
        {
            if (!states.TryGetValue(Lines[i], out var st)) { LineStart[i] = long.MinValue; continue; }
            LineStart[i] = Utc.ToMinute(st.Spec.Period.Start);
            LineGpus[i] = st.Spec.Gpus.Value;
        }
        BaseQuarter = new decimal[QuarterLabels.Length];
        BaseRpo = new decimal[QuarterLabels.Length];
        SiteMonthCommitted = new double[scenario.Sites.Count, Months.Length];
        var siteMonthContracts = new List<(int Contract, double Hours)>[scenario.Sites.Count, Months.Length];
        for (var c = 0; c < BaseSchedules.Length; c++)
        {
            BaseStats[c] = Stats(c, BaseSchedules[c]);
            if (scenario.Contracts[c].Currency != scenario.Currency) continue;
            for (var q = 0; q < BaseQuarter.Length; q++)
            {
                BaseQuarter[q] += BaseStats[c].Quarter[q];
                if (CountsForRpo[c]) BaseRpo[q] += BaseStats[c].Quarter[q];
            }
            foreach (var (s, k, h) in BaseStats[c].SiteMonthHours)
            {
                SiteMonthCommitted[s, k] += h;
                (siteMonthContracts[s, k] ??= []).Add((c, h));
            }
        }
        SiteMonthContracts = new (int[] Contracts, double[] Cum)[scenario.Sites.Count, Months.Length];
        for (var s = 0; s < scenario.Sites.Count; s++)
            for (var k = 0; k < Months.Length; k++)
                SiteMonthContracts[s, k] = Cumulative(siteMonthContracts[s, k]);
        ContractMonths = [.. BaseStats.Select(x => x.GpuHours.Count(h => h > 0))];
    }

    public Scenario Scenario { get; }
    public UncertaintyModel Model { get; }
    public string PolicyName { get; }
    public DateTime From { get; }
    public DateTime Until { get; }
    public long FromMinute { get; }
    public long UntilMinute { get; }
    public (long A, long B)[] Months { get; }
    public (long A, long B)[] QuarterSpans { get; }
    public string[] QuarterLabels { get; }
    public int[] MonthQuarter { get; }
    public int NextYearQuarters { get; }
    public Dictionary<SiteId, int> SiteIndex { get; }
    public int[][] StepOf { get; }
    public UncertainStep[] Steps { get; }
    public MovableDelivery[] Movable { get; }
    public int[] DeliveryMovable { get; }
    public List<(int Delivery, int Gpus)>[] SiteDeliveries { get; }
    public HashSet<ContractId> Forfeits { get; }
    public IReadOnlyDictionary<LineRef, IReadOnlyList<CoverageStep>> BaseCoverage { get; }
    public Dictionary<ContractId, int> ContractIndex { get; }
    public ContractSchedule[] BaseSchedules { get; }
    public ContractStats[] BaseStats { get; }
    public bool[] CountsForRpo { get; }
    public int[][] ContractLines { get; }
    public LineRef[] Lines { get; }
    public int[] LineContract { get; }
    public (int Site, double Share)[][] LineSites { get; }
    public long[] LineStart { get; }
    public int[] LineGpus { get; }
    public decimal[] BaseQuarter { get; }
    public decimal[] BaseRpo { get; }
    public double[,] SiteMonthCommitted { get; }
    public (int[] Contracts, double[] Cum)[,] SiteMonthContracts { get; }
    public int[] ContractMonths { get; }

    public bool ExtendsTerm(LineRef line) => !Forfeits.Contains(line.Contract);

    public RiskRun Header(RiskOptions o) => new()
    {
        Seed = o.Seed,
        From = From,
        Until = Until,
        Trials = o.Trials,
        Policy = PolicyName,
        Currency = Scenario.Currency,
        Quarters = QuarterLabels,
        Lines = [.. Lines.Select(l => l.ToString())],
        Contracts = [.. Scenario.Contracts.Select(c => c.Id.Value)],
        ContractMonths = ContractMonths,
        Rows = [],
    };

    /// <summary>Days to whole minutes, capped at 100 years (a lognormal's far tail).</summary>
    public static long Minutes(double days) => (long)Math.Round(Math.Min(days, 36_500) * 1440);

    /// <summary>Per quarter revenue, per month charge and covered GPU-hours, and GPU-hours per (site, month), of one schedule.</summary>
    public ContractStats Stats(int c, ContractSchedule schedule)
    {
        var quarter = new decimal[QuarterLabels.Length];
        var charge = new decimal[Months.Length];
        var hours = new double[Months.Length];
        var siteHours = new Dictionary<(int, int), double>();
        for (var li = 0; li < schedule.Lines.Count; li++)
        {
            var line = schedule.Lines[li];
            if (line.Segments.Count == 0) continue;
            var first = line.Segments[0].StartMinute;
            var last = line.Segments[^1].EndMinute;
            var sites = LineSites[ContractLines[c][li]];
            for (var k = 0; k < Months.Length; k++)
            {
                var (a, b) = Months[k];
                if (b <= first || a >= last) continue;
                var amount = line.AmountIn(a, b);
                charge[k] += amount;
                quarter[MonthQuarter[k]] += amount;
                var gpuMinutes = 0.0;
                foreach (var seg in line.Segments)
                {
                    var lo = Math.Max(a, seg.StartMinute);
                    var hi = Math.Min(b, seg.EndMinute);
                    if (hi > lo) gpuMinutes += (double)seg.Gpus * (hi - lo);
                }
                hours[k] += gpuMinutes / 60;
                foreach (var (s, share) in sites) siteHours[(s, k)] = siteHours.GetValueOrDefault((s, k)) + share * gpuMinutes / 60;
            }
        }
        if (schedule.FeeAmount != 0m && schedule.FeeMinute >= FromMinute && schedule.FeeMinute < UntilMinute)
            for (var q = 0; q < QuarterSpans.Length; q++)
                if (schedule.FeeMinute >= QuarterSpans[q].A && schedule.FeeMinute < QuarterSpans[q].B) quarter[q] += schedule.FeeAmount;
        return new ContractStats(quarter, charge, hours, [.. siteHours.Where(x => x.Value > 0).Select(x => (x.Key.Item1, x.Key.Item2, x.Value))]);
    }

    public static (int[] Contracts, double[] Cum) Cumulative(List<(int Contract, double Hours)>? list)
    {
        if (list is null || list.Count == 0) return ([], []);
        var ids = new int[list.Count];
        var cum = new double[list.Count];
        var run = 0.0;
        for (var i = 0; i < list.Count; i++)
        {
            ids[i] = list[i].Contract;
            cum[i] = run += list[i].Hours;
        }
        return (ids, cum);
    }

    private static DelayRule? Best(IReadOnlyList<DelayRule> rules, Func<DelayRule, bool> matches)
    {
        DelayRule? best = null;
        foreach (var r in rules)
            if (matches(r) && (best is null || r.Match.Specificity > best.Match.Specificity)) best = r;
        return best;
    }
}

/// <summary>A contract's figures in the window under one coverage.</summary>
internal sealed record ContractStats(decimal[] Quarter, decimal[] Charge, double[] GpuHours, (int Site, int Month, double Hours)[] SiteMonthHours);
