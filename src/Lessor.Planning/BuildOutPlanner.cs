using Lessor.Core.Ledger;
using Lessor.Core.Model;

namespace Lessor.Planning;

/// <summary>
/// "What must we build, where and by when, to sign this?" Proposes the least-capex deliveries that make a deal fit
/// (docs/buildout.md) and proves it: the deliveries are applied to the scenario, the ledger is rebuilt, and the deal
/// must fit there with no new validation issue. Pure: <c>today</c> comes in as an argument.
/// </summary>
public static class BuildOutPlanner
{
    public static BuildOutPlan Plan(Scenario scenario, CapacityLedger ledger, DealRequest deal, DateTime today, PlanOptions? options = null)
    {
        options ??= PlanOptions.Default;
        if (deal.Lines.Count == 0) throw new ArgumentException("A deal needs at least one line.", nameof(deal));
        var fit = ledger.Check(deal);
        var ids = PlanSpace.LineIdsOf(deal);
        for (var l = 0; l < deal.Lines.Count; l++)
        {
            if (scenario.Platforms.All(p => p.Id != deal.Lines[l].Platform))
                return NoPlan(scenario, deal, fit, PlanBlocker.UnknownPlatform,
                    $"Platform '{deal.Lines[l].Platform}' of line {ids[l]} is not in the catalog, so nothing can be built for it.");
        }
        if (fit.Fits) return Result(scenario, deal, PlanOutcome.AlreadyFits, [], true, fit, PlanBlocker.None, null);

        var merged = new Dictionary<FabricId, (PlannedDelivery Delivery, int Units)>();
        var baseScenario = scenario;
        var baseLedger = ledger;
        var optimal = true;
        string? lastProblem = null;
        for (var round = 0; round < Math.Max(1, options.MaxRounds); round++)
        {
            var planned = new HashSet<FabricId>();
            foreach (var (id, m) in merged) if (m.Delivery.NewFabric) planned.Add(id);
            var space = PlanSpace.Build(baseScenario, baseLedger, deal, today, options, planned);
            var solution = UnitModel.Solve(space, options, ignorePower: false);
            if (!solution.Feasible)
            {
                if (round > 0)
                    return NoPlan(scenario, deal, fit, PlanBlocker.Verification,
                        $"After {round} round(s) of deliveries the rebuilt book still leaves no room: {lastProblem}");
                return Explain(scenario, ledger, deal, today, fit, space, options, solution);
            }
            optimal &= solution.Optimal;
            var added = 0;
            for (var c = 0; c < space.Candidates.Count; c++)
            {
                var units = solution.Units[c];
                if (units == 0) continue;
                added += units;
                var cand = space.Candidates[c];
                var pp = space.Platforms[cand.Platform];
                if (merged.TryGetValue(cand.Id, out var m)) merged[cand.Id] = (m.Delivery, m.Units + units);
                else merged[cand.Id] = (Delivery(scenario, space, cand, pp, 0), units);
            }
            var deliveries = Finish(scenario, merged);
            var applied = Apply(scenario, deliveries);
            var build = CapacityLedger.Build(applied);
            var verified = build.Ledger.Check(deal);
            if (verified.Fits)
            {
                var before = ScenarioValidator.Validate(scenario).Select(i => i.ToString()).ToHashSet(StringComparer.Ordinal);
                var fresh = ScenarioValidator.Validate(applied).Where(i => !before.Contains(i.ToString())).ToList();
                if (fresh.Count > 0)
                    return NoPlan(scenario, deal, fit, PlanBlocker.Verification,
                        $"The planned deliveries break the scenario: {fresh[0]}");
                return Result(scenario, deal, PlanOutcome.Planned, deliveries, optimal, verified, PlanBlocker.None, null);
            }
            lastProblem = verified.Constraints.Count > 0 ? verified.Constraints[0].Reason : "the deal does not fit";
            if (added == 0) break;
            baseScenario = applied;
            baseLedger = build.Ledger;
        }
        return NoPlan(scenario, deal, fit, PlanBlocker.Verification,
            $"The ledger, placing the deal's lines in order, cannot use the planned units: {lastProblem}");
    }

    /// <summary>The scenario with the plan's new fabrics and deliveries added (status planned): what a planner would commit.</summary>
    public static Scenario Apply(Scenario scenario, IReadOnlyList<PlannedDelivery> deliveries)
    {
        var fabrics = scenario.Fabrics.ToList();
        var list = scenario.Deliveries.ToList();
        foreach (var d in deliveries)
        {
            if (d.NewFabric)
                fabrics.Add(new Fabric { Id = d.Fabric, Site = d.Site, Platform = d.Platform, MaxUnits = d.NewFabricMaxUnits ?? d.Units });
            list.Add(new Delivery
            {
                Id = d.Id, Fabric = d.Fabric, Units = d.Units, Status = DeliveryStatus.Planned, AcceptanceDate = d.AcceptanceDate,
            });
        }
        return scenario with { Fabrics = fabrics, Deliveries = list };
    }

    private static PlannedDelivery Delivery(Scenario original, PlanSpace space, Candidate cand, PlatformPlan pp, int units)
    {
        // A fabric that a later round finds "existing" was still created by this plan: new relative to the original scenario.
        var isNew = original.Fabrics.All(f => f.Id != cand.Id);
        var maxUnits = isNew ? space.Scenario.Fabrics.FirstOrDefault(f => f.Id == cand.Id)?.MaxUnits ?? cand.MaxUnits : (int?)null;
        return new PlannedDelivery(default, cand.Id, space.Scenario.Sites[cand.Site].Id, pp.Platform.Id, isNew, maxUnits, units,
            GpuCount.Zero, pp.Acceptance, pp.OrderBy, 0m, Money.Zero(pp.Platform.CapexPerUnit.Currency));
    }

    /// <summary>One delivery per fabric with its totals, named so no id in the scenario repeats, in date, site, fabric order.</summary>
    private static List<PlannedDelivery> Finish(Scenario s, Dictionary<FabricId, (PlannedDelivery Delivery, int Units)> merged)
    {
        var taken = new HashSet<DeliveryId>(s.Deliveries.Select(d => d.Id));
        var platformOf = new Dictionary<PlatformId, Platform>();
        foreach (var p in s.Platforms) platformOf.TryAdd(p.Id, p);
        var result = new List<PlannedDelivery>();
        foreach (var (d, units) in merged.Values
                     .OrderBy(v => v.Delivery.AcceptanceDate)
                     .ThenBy(v => v.Delivery.Site.Value, StringComparer.Ordinal)
                     .ThenBy(v => v.Delivery.Fabric.Value, StringComparer.Ordinal))
        {
            var p = platformOf[d.Platform];
            var id = new DeliveryId(d.Fabric.Value + "-plan");
            for (var k = 2; !taken.Add(id); k++) id = new DeliveryId($"{d.Fabric.Value}-plan{k}");
            result.Add(d with
            {
                Id = id, Units = units, Gpus = p.GpusOf(units), Mw = units * p.UnitKw / 1000m, Capex = p.CapexPerUnit * units,
            });
        }
        return result;
    }

    /// <summary>Why no plan exists, in the order a planner would fix it: dates, then power, then fabrics and the deal's shape.</summary>
    private static BuildOutPlan Explain(Scenario s, CapacityLedger ledger, DealRequest deal, DateTime today, FitResult fit, PlanSpace space,
        PlanOptions options, UnitSolution solution)
    {
        if (solution.Unknown)
            return NoPlan(s, deal, fit, PlanBlocker.SolverLimit,
                $"The solver found no plan within its budget of {ModelText.Short((decimal)options.SolverDeterministicSeconds)} deterministic seconds; raise it or simplify the deal.");
        foreach (var pp in space.Platforms)
        {
            if (!pp.CanBuild) return NoPlan(s, deal, fit, pp.DateBlocker, pp.DateWhy);
        }
        // Power first by counting: units the deal lacks against units the sites' headroom can take at all.
        for (var pi = 0; pi < space.Platforms.Count; pi++)
        {
            var pp = space.Platforms[pi];
            long lacking = 0;
            for (var l = 0; l < deal.Lines.Count; l++)
                if (space.LinePlatform[l] == pi) lacking += deal.Lines[l].Gpus.Value / pp.Platform.GpusPerUnit;
            foreach (var c in space.Candidates)
            {
                if (c.Platform != pi || c.IsNew) continue;
                var least = int.MaxValue;
                foreach (var f in c.Free) if (f is { } v && v < least) least = v;
                if (least != int.MaxValue) lacking -= least;
            }
            var (sites, watts) = PowerLeft(s, space, pi);
            var room = watts / pp.WattsPerUnit;
            if (lacking > room)
                return NoPlan(s, deal, fit, PlanBlocker.Power, PowerWhy(pp, sites, watts, lacking, lacking * pp.WattsPerUnit));
        }
        if (LimitWhy(s, ledger, deal, today, space, options) is { } limitWhy) return NoPlan(s, deal, fit, PlanBlocker.FabricLimits, limitWhy);
        var relaxed = UnitModel.Solve(space, options, ignorePower: true);
        if (relaxed.Feasible)
        {
            var needUnits = 0L;
            var needWatts = 0L;
            for (var c = 0; c < space.Candidates.Count; c++)
            {
                needUnits += relaxed.Units[c];
                needWatts += relaxed.Units[c] * space.Platforms[space.Candidates[c].Platform].WattsPerUnit;
            }
            var (sites, watts) = PowerLeft(s, space, 0);
            return NoPlan(s, deal, fit, PlanBlocker.Power, PowerWhy(space.Platforms[0], sites, watts, needUnits, needWatts) +
                " Its blocks, locality and min sites keep it from the sites that have power.");
        }
        return NoPlan(s, deal, fit, PlanBlocker.FabricLimits, ShapeReason(s, deal, space, fit));
    }

    /// <summary>
    /// When the limit on new fabrics per site cut the slots the deal's blocks could need, whether a plan exists without
    /// it: then the limit, not power or the deal's shape, is what stops the deal, and the answer names the count to ask for.
    /// </summary>
    private static string? LimitWhy(Scenario s, CapacityLedger ledger, DealRequest deal, DateTime today, PlanSpace space, PlanOptions options)
    {
        if (space.CappedSlots.Count == 0) return null;
        long extra = 0;
        foreach (var (_, _, needed) in space.CappedSlots) extra += needed;
        // The proof solves a model with every needed slot; past this many it would cost more than the answer is worth.
        if (extra > MaxSlotsForLimitProof) return null;
        var unlimited = options with { MaxNewFabricsPerSite = int.MaxValue };
        var wide = PlanSpace.Build(s, ledger, deal, today, unlimited);
        var solution = UnitModel.Solve(wide, unlimited, ignorePower: false);
        if (!solution.Feasible) return null;
        var opened = new Dictionary<(int Site, int Platform), int>();
        for (var c = 0; c < wide.Candidates.Count; c++)
        {
            var cand = wide.Candidates[c];
            if (cand.IsNew && solution.Units[c] > 0) opened[(cand.Site, cand.Platform)] = opened.GetValueOrDefault((cand.Site, cand.Platform)) + 1;
        }
        var most = 0;
        var at = (Site: 0, Platform: 0);
        foreach (var (key, count) in opened.OrderBy(o => o.Key.Site).ThenBy(o => o.Key.Platform))
        {
            if (count <= most) continue;
            most = count;
            at = key;
        }
        // The capped model failed and this one did not, so some site opens more than the limit; if not, do not blame the limit.
        if (most <= options.MaxNewFabricsPerSite) return null;
        var pp = wide.Platforms[at.Platform];
        return $"A plan may open at most {ModelText.Int(options.MaxNewFabricsPerSite)} new {pp.Platform.Name} fabrics per site, and none within " +
            $"that limit fits; the least-capex plan opens {ModelText.Int(most)} new {ModelText.Int(pp.NewFabricUnits)}-unit fabrics at " +
            $"{s.Sites[at.Site].Id.Value}: raise the limit of new fabrics per site to {ModelText.Int(most)}.";
    }

    private const long MaxSlotsForLimitProof = 1_000;

    private static (int Sites, long Watts) PowerLeft(Scenario s, PlanSpace space, int platform)
    {
        long watts = 0;
        var sites = 0;
        for (var si = 0; si < s.Sites.Count; si++)
        {
            if (!PlanSpace.Admits(s.Sites[si], space.Platforms[platform].Platform)) continue;
            sites++;
            watts += space.Headroom[si][platform];
        }
        return (sites, watts);
    }

    private static string PowerWhy(PlatformPlan pp, int sites, long watts, long needUnits, long needWatts) =>
        $"From {ModelText.Date(pp.Acceptance)} on, the {ModelText.Int(sites)} sites that can cool {pp.Platform.Name} have {Mw(watts)} MW of power left, " +
        $"room for {ModelText.Int(watts / pp.WattsPerUnit)} units, but the deal needs {ModelText.Int(needUnits)} more units drawing {Mw(needWatts)} MW.";

    private static string ShapeReason(Scenario s, DealRequest deal, PlanSpace space, FitResult fit)
    {
        for (var l = 0; l < deal.Lines.Count; l++)
        {
            var line = deal.Lines[l];
            var pp = space.Platforms[space.LinePlatform[l]];
            var p = pp.Platform;
            if (line.MinSites > 1 && line.Locality is Locality.Fabric or Locality.Site)
                return $"Line {space.LineIds[l]} must sit in one {line.Locality.ToString().ToLowerInvariant()}, so it cannot span the {ModelText.Int(line.MinSites)} sites it asks for.";
            var sites = s.Sites.Count(site => PlanSpace.Admits(site, p));
            if (line.MinSites > sites)
                return $"Line {space.LineIds[l]} asks for {ModelText.Int(line.MinSites)} sites, but only {ModelText.Int(sites)} sites can cool {p.Name}.";
            var blockUnits = line.BlockSize is { } b ? b.Value / p.GpusPerUnit : line.Locality == Locality.Fabric ? line.Gpus.Value / p.GpusPerUnit : 1;
            if (blockUnits > pp.NewFabricUnits)
                return $"A block of {ModelText.Int(blockUnits * p.GpusPerUnit)} {p.Name} GPUs of line {space.LineIds[l]} must sit in one fabric, but a new fabric holds {ModelText.Int(pp.NewFabricUnits * p.GpusPerUnit)} GPUs; plan with larger new fabrics.";
        }
        var ledgerWhy = fit.Constraints.Count > 0 ? " " + fit.Constraints[0].Reason : "";
        return $"Even with unlimited power, the existing fabrics' room and new fabrics of {ModelText.Int(space.Platforms[0].NewFabricUnits)} units (at most the per-site limit) cannot meet the deal's locality, blocks and min sites.{ledgerWhy}";
    }

    private static string Mw(long watts) => ModelText.Short(Math.Round(watts / 1_000_000m, 2, MidpointRounding.AwayFromZero));

    private static BuildOutPlan NoPlan(Scenario s, DealRequest deal, FitResult fit, PlanBlocker blocker, string? why) =>
        Result(s, deal, PlanOutcome.NoPlan, [], false, fit, blocker, why);

    private static BuildOutPlan Result(Scenario s, DealRequest deal, PlanOutcome outcome, IReadOnlyList<PlannedDelivery> deliveries,
        bool optimal, FitResult fit, PlanBlocker blocker, string? why)
    {
        var currency = s.Currency;
        var tcv = Money.Zero(currency);
        foreach (var line in deal.Lines)
        {
            var platform = s.Platforms.FirstOrDefault(p => p.Id == line.Platform);
            var price = line.PricePerGpuHour ?? platform?.Prices.Reserved ?? Money.Zero(currency);
            tcv += price * (line.Gpus.Value * line.Period.Hours);
        }
        var capex = Money.Zero(currency);
        var units = 0;
        var gpus = GpuCount.Zero;
        var mw = 0m;
        DateTime? firstOrder = null;
        foreach (var d in deliveries)
        {
            capex += d.Capex;
            units += d.Units;
            gpus += d.Gpus;
            mw += d.Mw;
            if (firstOrder is null || d.OrderBy < firstOrder) firstOrder = d.OrderBy;
        }
        var margin = tcv - capex;
        decimal? percent = tcv.Amount == 0 ? null : Math.Round(margin.Amount / tcv.Amount * 100m, 2, MidpointRounding.AwayFromZero);
        return new BuildOutPlan(outcome, deliveries, units, gpus, mw, capex, tcv, margin, percent, firstOrder, optimal, fit, blocker, why);
    }
}
