using System.Runtime.CompilerServices;
using Lessor.Core.Contracts;
using Lessor.Core.Model;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace Lessor.Server.Api;

/// <summary>
/// Exactly the series the console's dashboard charts draw, one value per quarter, so its first paint stays small:
/// power (drawn, energized and contracted MW) and capacity (supply vs committed GPUs per platform).
/// </summary>
public static class DashboardApi
{
    /// <summary>
    /// Power at each quarter's end: drawn MW (IT load of units delivered by then, capped per site by its energized
    /// envelope), energized MW (the envelopes) and contracted MW (every signed envelope step once energized).
    /// </summary>
    public sealed record PowerSeries(
        IReadOnlyList<string> Quarters, IReadOnlyList<DateTime> At,
        IReadOnlyList<decimal> DrawnMw, IReadOnlyList<decimal> EnergizedMw, IReadOnlyList<decimal> ContractedMw, string Basis);

    /// <summary>Supply and committed GPUs of every platform at each quarter's end.</summary>
    public sealed record CapacitySeries(IReadOnlyList<string> Quarters, IReadOnlyList<DateTime> At, IReadOnlyList<PlatformCapacity> Platforms, string Basis);

    /// <summary>One platform's supply (GPUs on delivered units) and committed GPUs (lines in force), per quarter.</summary>
    public sealed record PlatformCapacity(PlatformId Platform, string Name, IReadOnlyList<int> SupplyGpus, IReadOnlyList<int> CommittedGpus);

    private const string PowerBasis =
        "At each quarter's end (the first instant of the next quarter). Deliveries count from their acceptance date, " +
        "expected dates included, so later quarters are the plan; a site's drawn MW never exceeds its energized envelope.";

    private const string CapacityBasis =
        "At each quarter's end (the first instant of the next quarter). Supply: GPUs of deliveries accepted (or expected) by then; " +
        "committed: GPUs of committed contract lines in force then, amendments and cancellations applied.";

    /// <summary>The series are a pure function of one immutable book snapshot, so each snapshot computes them once.</summary>
    private static readonly ConditionalWeakTable<Scenario, Computed> Cache = [];

    private sealed record Computed(PowerSeries Power, CapacitySeries Capacity);

    public static IEndpointRouteBuilder MapDashboardApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1/dashboard").RequireAuthorization(Access.Policies.EstateRead);
        api.MapGet("/power", (LessorState s) => TypedResults.Ok(Of(s.Scenario).Power));
        api.MapGet("/capacity", (LessorState s) => TypedResults.Ok(Of(s.Scenario).Capacity));
        return app;
    }

    private static Computed Of(Scenario scenario) =>
        Cache.GetValue(scenario, static s => new Computed(Power(s), Capacity(s)));

    /// <summary>Quarter ends covering the book: from the quarter of its first dated event to that of its last.</summary>
    public static IReadOnlyList<(string Label, DateTime At)> QuarterEnds(Scenario scenario)
    {
        DateTime? first = null, last = null;
        void See(DateTime t)
        {
            // A stored row may predate the range check (a term in 9999): the charts cover the supported range, and a
            // quarter past 9999 cannot even be computed.
            if (!Utc.InSupportedRange(t)) return;
            if (first is null || t < first) first = t;
            if (last is null || t > last) last = t;
        }
        foreach (var d in scenario.Deliveries) See(d.AcceptanceDate);
        foreach (var site in scenario.Sites)
        {
            foreach (var step in site.Power) See(step.From);
        }
        foreach (var c in scenario.Contracts)
        {
            foreach (var line in c.CommittedLines)
            {
                See(line.Period.Start);
                // The last quarter shown is the one in which the last term is still running.
                See(line.Period.End.AddTicks(-1));
            }
        }
        if (first is null || last is null) return [];
        var quarters = new List<(string, DateTime)>();
        var q = QuarterStart(first.Value);
        while (q <= last.Value)
        {
            var next = q.AddMonths(3);
            quarters.Add(($"{q.Year} Q{(q.Month - 1) / 3 + 1}", next));
            q = next;
        }
        return quarters;
    }

    public static PowerSeries Power(Scenario scenario)
    {
        var quarters = QuarterEnds(scenario);
        var siteIndex = new Dictionary<SiteId, int>(scenario.Sites.Count);
        for (var i = 0; i < scenario.Sites.Count; i++) siteIndex[scenario.Sites[i].Id] = i;
        var (deliverySite, deliveryKw, _, _) = Deliveries(scenario, siteIndex, null);
        var contracted = 0m;
        foreach (var site in scenario.Sites) contracted += site.ContractedMw;

        var drawn = new decimal[quarters.Count];
        var energized = new decimal[quarters.Count];
        var contractedSeries = new decimal[quarters.Count];
        var siteKw = new decimal[scenario.Sites.Count];
        for (var q = 0; q < quarters.Count; q++)
        {
            var at = quarters[q].At;
            Array.Clear(siteKw);
            for (var d = 0; d < deliverySite.Length; d++)
            {
                if (deliverySite[d] >= 0 && scenario.Deliveries[d].AcceptanceDate <= at) siteKw[deliverySite[d]] += deliveryKw[d];
            }
            for (var s = 0; s < siteKw.Length; s++)
            {
                var envelopeMw = scenario.Sites[s].MwAt(at);
                energized[q] += envelopeMw;
                drawn[q] += Math.Min(siteKw[s] / 1000m, envelopeMw);
            }
            contractedSeries[q] = contracted;
        }
        return new PowerSeries(Labels(quarters), Instants(quarters), Round(drawn), Round(energized), Round(contractedSeries), PowerBasis);
    }

    public static CapacitySeries Capacity(Scenario scenario)
    {
        var quarters = QuarterEnds(scenario);
        var platformIndex = new Dictionary<PlatformId, int>(scenario.Platforms.Count);
        for (var i = 0; i < scenario.Platforms.Count; i++) platformIndex[scenario.Platforms[i].Id] = i;
        var (_, _, deliveryPlatform, deliveryGpus) = Deliveries(scenario, null, platformIndex);
        var segments = new List<LineSegment>();
        foreach (var c in scenario.Contracts) segments.AddRange(LineSegments.Of(c));

        var supply = new int[scenario.Platforms.Count][];
        var committed = new int[scenario.Platforms.Count][];
        for (var p = 0; p < supply.Length; p++)
        {
            supply[p] = new int[quarters.Count];
            committed[p] = new int[quarters.Count];
        }
        for (var q = 0; q < quarters.Count; q++)
        {
            var at = quarters[q].At;
            for (var d = 0; d < deliveryPlatform.Length; d++)
            {
                if (deliveryPlatform[d] >= 0 && scenario.Deliveries[d].AcceptanceDate <= at) supply[deliveryPlatform[d]][q] += deliveryGpus[d];
            }
            foreach (var segment in segments)
            {
                if (segment.Period.Start <= at && at < segment.Period.End && platformIndex.TryGetValue(segment.Platform, out var p))
                    committed[p][q] += segment.Gpus.Value;
            }
        }
        var platforms = new List<PlatformCapacity>(scenario.Platforms.Count);
        for (var p = 0; p < scenario.Platforms.Count; p++)
        {
            // A catalog entry the book never uses would only add an empty chart.
            if (supply[p].All(v => v == 0) && committed[p].All(v => v == 0)) continue;
            platforms.Add(new PlatformCapacity(scenario.Platforms[p].Id, scenario.Platforms[p].Name, supply[p], committed[p]));
        }
        return new CapacitySeries(Labels(quarters), Instants(quarters), platforms, CapacityBasis);
    }

    /// <summary>Per delivery: its site index, IT kW, platform index and GPUs (-1 where its fabric is unknown).</summary>
    private static (int[] Site, decimal[] Kw, int[] Platform, int[] Gpus) Deliveries(
        Scenario scenario, Dictionary<SiteId, int>? siteIndex, Dictionary<PlatformId, int>? platformIndex)
    {
        var fabrics = scenario.Fabrics.ToDictionary(f => f.Id);
        var platforms = scenario.Platforms.ToDictionary(p => p.Id);
        var n = scenario.Deliveries.Count;
        var (site, kw, platform, gpus) = (new int[n], new decimal[n], new int[n], new int[n]);
        for (var i = 0; i < n; i++)
        {
            var d = scenario.Deliveries[i];
            site[i] = platform[i] = -1;
            if (!fabrics.TryGetValue(d.Fabric, out var fabric) || !platforms.TryGetValue(fabric.Platform, out var p)) continue;
            if (siteIndex is not null && siteIndex.TryGetValue(fabric.Site, out var s)) site[i] = s;
            if (platformIndex is not null) platform[i] = platformIndex[p.Id];
            kw[i] = d.Units * p.UnitKw;
            gpus[i] = d.Units * p.GpusPerUnit;
        }
        return (site, kw, platform, gpus);
    }

    private static List<string> Labels(IReadOnlyList<(string Label, DateTime At)> quarters) => quarters.Select(q => q.Label).ToList();

    private static List<DateTime> Instants(IReadOnlyList<(string Label, DateTime At)> quarters) => quarters.Select(q => q.At).ToList();

    /// <summary>MW to three decimals (kW): the charts need no more, and the payload stays short.</summary>
    private static decimal[] Round(decimal[] mw)
    {
        for (var i = 0; i < mw.Length; i++) mw[i] = Math.Round(mw[i], 3, MidpointRounding.ToEven);
        return mw;
    }

    private static DateTime QuarterStart(DateTime t) => new(t.Year, (t.Month - 1) / 3 * 3 + 1, 1, 0, 0, 0, DateTimeKind.Utc);

}
