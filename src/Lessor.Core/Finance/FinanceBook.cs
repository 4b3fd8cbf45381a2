using Lessor.Core.Model;

namespace Lessor.Core.Finance;

/// <summary>The axes finance results are broken down by.</summary>
public enum FinanceDimension
{
    Customer,
    Platform,
    Site,
    Region,
}

/// <summary>
/// Every contract's revenue schedule computed once, with each line's customer, platform, site and region resolved to
/// dense key indices, so that KPIs, revenue reports and invoice runs are plain array loops over lines.
/// </summary>
public sealed class FinanceBook
{
    /// <summary>Key of lines without a pinned placement (site and region breakdowns).</summary>
    public const string Unplaced = "unplaced";

    /// <summary>Platform key of what is not tied to one platform (a backstop's unconsumed cap).</summary>
    public const string AnyPlatform = "any";

    private readonly Dictionary<string, int>[] _keyIndex = [new(StringComparer.Ordinal), new(StringComparer.Ordinal), new(StringComparer.Ordinal), new(StringComparer.Ordinal)];
    private readonly List<string>[] _keyNames = [[], [], [], []];

    private FinanceBook(Scenario scenario, ICoverageSource coverage, FinanceBook? previous, IReadOnlySet<LineRef>? changedCoverage)
    {
        Scenario = scenario;
        foreach (var c in scenario.Customers) Key(FinanceDimension.Customer, c.Id.Value);
        foreach (var p in scenario.Platforms) Key(FinanceDimension.Platform, p.Id.Value);
        foreach (var r in scenario.Regions) Key(FinanceDimension.Region, r.Id.Value);

        var siteIndex = new Dictionary<SiteId, int>(scenario.Sites.Count);
        SiteKey = new int[scenario.Sites.Count];
        SiteRegionKey = new int[scenario.Sites.Count];
        for (var i = 0; i < scenario.Sites.Count; i++)
        {
            var site = scenario.Sites[i];
            siteIndex[site.Id] = i;
            SiteKey[i] = Key(FinanceDimension.Site, site.Id.Value);
            SiteRegionKey[i] = Key(FinanceDimension.Region, site.Region.Value);
        }
        FabricSite = new Dictionary<FabricId, int>(scenario.Fabrics.Count);
        foreach (var f in scenario.Fabrics)
            if (siteIndex.TryGetValue(f.Site, out var si)) FabricSite[f.Id] = si;

        foreach (var c in scenario.Contracts)
        {
            if (c.Kind != ContractKind.Backstop && c.Lines.Count > 0) continue;
            // A backstop's unconsumed cap, or the fee of a contract without lines, is reported under these keys;
            // registering them now keeps reports read-only.
            Key(FinanceDimension.Platform, AnyPlatform);
            Key(FinanceDimension.Site, Unplaced);
            Key(FinanceDimension.Region, Unplaced);
            break;
        }

        // A contract's schedule depends on the contract and its lines' coverage alone: one that is the same object as in
        // the previous book, none of whose lines' coverage changed, keeps its schedule.
        Dictionary<ContractId, ContractSchedule>? reusable = null;
        if (previous is not null && changedCoverage is not null)
        {
            var stale = new HashSet<ContractId>();
            foreach (var line in changedCoverage) stale.Add(line.Contract);
            reusable = new Dictionary<ContractId, ContractSchedule>(previous.Contracts.Count);
            foreach (var schedule in previous.Contracts)
                if (!stale.Contains(schedule.Contract.Id)) reusable[schedule.Contract.Id] = schedule;
        }
        var contracts = new ContractSchedule[scenario.Contracts.Count];
        var lineCount = 0;
        for (var c = 0; c < contracts.Length; c++)
        {
            var contract = scenario.Contracts[c];
            contracts[c] = reusable is not null && reusable.TryGetValue(contract.Id, out var kept) && ReferenceEquals(kept.Contract, contract)
                ? kept
                : RevenueSchedule.ForContract(contract, coverage);
            lineCount += contracts[c].Lines.Count;
        }
        Contracts = contracts;

        Lines = new LineSchedule[lineCount];
        LineContract = new int[lineCount];
        LineCustomerKey = new int[lineCount];
        LinePlatformKey = new int[lineCount];
        LinePlaceStart = new int[lineCount + 1];
        var placeSite = new List<int>(lineCount);
        var placeRegion = new List<int>(lineCount);
        // Shares of lines whose placement changed over their history, by stretch (see LineStretches); kept apart from the
        // lines' own shares so a line's one split stays the contiguous range LinePlaceStart gives.
        var stretchSite = new List<int>();
        var stretchRegion = new List<int>();
        var stretchWeight = new List<decimal>();
        var placeWeight = new List<decimal>(lineCount);
        ContractFirstLine = new int[contracts.Length];
        ContractCustomerKey = new int[contracts.Length];
        var n = 0;
        for (var c = 0; c < contracts.Length; c++)
        {
            var contract = contracts[c].Contract;
            ContractCustomerKey[c] = Key(FinanceDimension.Customer, contract.Customer.Value);
            ContractFirstLine[c] = contracts[c].Lines.Count > 0 ? n : -1;
            foreach (var line in contracts[c].Lines)
            {
                Lines[n] = line;
                LineContract[n] = c;
                LineCustomerKey[n] = ContractCustomerKey[c];
                var version = LatestVersion(contract, line.Line.Line);
                LinePlatformKey[n] = Key(FinanceDimension.Platform, version?.Platform.Value ?? AnyPlatform);
                Placement(version, placeSite, placeRegion, placeWeight);
                if (contract.Amendments.Count > 0 && Stretches(contract, line.Line.Line, version, stretchSite, stretchRegion, stretchWeight) is { } stretches)
                    (LineStretches ??= [])[n] = stretches;
                n++;
                LinePlaceStart[n] = placeSite.Count;
            }
        }
        PlaceSiteKey = [.. placeSite];
        PlaceRegionKey = [.. placeRegion];
        PlaceWeight = [.. placeWeight];
        StretchSiteKey = [.. stretchSite];
        StretchRegionKey = [.. stretchRegion];
        StretchWeight = [.. stretchWeight];
    }

    public Scenario Scenario { get; }
    public IReadOnlyList<ContractSchedule> Contracts { get; }

    internal LineSchedule[] Lines { get; }
    internal int[] LineContract { get; }
    internal int[] LineCustomerKey { get; }
    internal int[] LinePlatformKey { get; }

    // A line's site shares are entries [LinePlaceStart[i], LinePlaceStart[i + 1]) of the flat Place* arrays: one
    // allocation for the whole book instead of three per line, which keeps the build's GC work small.
    internal int[] LinePlaceStart { get; }
    internal int[] PlaceSiteKey { get; }
    internal int[] PlaceRegionKey { get; }
    internal decimal[] PlaceWeight { get; }
    internal int[] ContractFirstLine { get; }

    /// <summary>
    /// Lines whose placement changed over their history (an amendment moved or resized their blocks): each stretch from
    /// its first minute, with its own entries in the flat Place* arrays. Site and region figures split such a line
    /// stretch by stretch; every other line uses its one split.
    /// </summary>
    internal Dictionary<int, PlaceStretch[]>? LineStretches { get; private set; }

    internal int[] StretchSiteKey { get; }
    internal int[] StretchRegionKey { get; }
    internal decimal[] StretchWeight { get; }
    internal int[] ContractCustomerKey { get; }
    internal int[] SiteKey { get; }
    internal int[] SiteRegionKey { get; }
    internal Dictionary<FabricId, int> FabricSite { get; }

    /// <summary>Computes every contract's schedule once against the ledger's coverage.</summary>
    public static FinanceBook Build(Scenario scenario, ICoverageSource coverage) => new(scenario, coverage, null, null);

    /// <summary>
    /// The book after a write, from the book before it: contracts that are the same objects as in
    /// <paramref name="previous"/> and none of whose lines are in <paramref name="changedCoverage"/> keep their
    /// schedules; the rest are computed against <paramref name="coverage"/>. Equal to <see cref="Build(Scenario, ICoverageSource)"/>
    /// whenever <paramref name="changedCoverage"/> holds every line whose coverage differs between the two.
    /// </summary>
    public static FinanceBook Update(FinanceBook previous, Scenario scenario, ICoverageSource coverage, IReadOnlySet<LineRef> changedCoverage)
    {
        ArgumentNullException.ThrowIfNull(previous);
        ArgumentNullException.ThrowIfNull(changedCoverage);
        return new(scenario, coverage, previous, changedCoverage);
    }

    internal int KeyCount(FinanceDimension d) => _keyNames[(int)d].Count;
    internal string KeyName(FinanceDimension d, int key) => _keyNames[(int)d][key];

    internal int Key(FinanceDimension d, string name)
    {
        var index = _keyIndex[(int)d];
        if (index.TryGetValue(name, out var k)) return k;
        k = _keyNames[(int)d].Count;
        index.Add(name, k);
        _keyNames[(int)d].Add(name);
        return k;
    }

    /// <summary>
    /// Adds what a line recognized in minutes [a, b) to a per-key total along a dimension: for site and region, stretch by
    /// stretch with each stretch's own shares when the line's placement changed over its history.
    /// </summary>
    internal void SpreadIn(FinanceDimension d, int line, long a, long b, decimal[] totals, bool[] used)
    {
        if (d is FinanceDimension.Customer or FinanceDimension.Platform || LineStretches is null || !LineStretches.TryGetValue(line, out var stretches))
        {
            var amount = Lines[line].AmountIn(a, b);
            if (amount != 0m) Spread(d, line, amount, totals, used);
            return;
        }
        for (var i = 0; i < stretches.Length; i++)
        {
            var from = Math.Max(a, stretches[i].From);
            var to = Math.Min(b, i + 1 < stretches.Length ? stretches[i + 1].From : long.MaxValue);
            if (from >= to) continue;
            var amount = Lines[line].AmountIn(from, to);
            if (amount != 0m) SpreadStretch(d, stretches[i], amount, totals, used);
        }
    }

    internal void SpreadStretch(FinanceDimension d, PlaceStretch stretch, decimal amount, decimal[] totals, bool[] used)
    {
        var keys = d == FinanceDimension.Site ? StretchSiteKey : StretchRegionKey;
        for (var j = stretch.PlaceStart; j < stretch.PlaceEnd; j++)
        {
            totals[keys[j]] += StretchWeight[j] == 1m ? amount : amount * StretchWeight[j];
            used[keys[j]] = true;
        }
    }

    /// <summary>
    /// The placement stretches of a line whose versions sit in different places, each stretch's shares appended to the
    /// flat arrays; null when every version is placed like the latest (the common case).
    /// </summary>
    private PlaceStretch[]? Stretches(Contract contract, LineId id, ContractLine? latest, List<int> placeSite, List<int> placeRegion, List<decimal> placeWeight)
    {
        List<Amendment>? history = null;
        foreach (var a in contract.Amendments)
            if (a.Line == id && a.Before is not null) (history ??= []).Add(a);
        if (history is null) return null;
        history.Sort((x, y) => x.Sequence.CompareTo(y.Sequence));
        var differs = false;
        foreach (var a in history) differs |= !SamePlace(a.Before!, latest);
        if (!differs) return null;
        var result = new List<PlaceStretch>(history.Count + 1);
        var from = long.MinValue;
        for (var i = 0; i <= history.Count; i++)
        {
            var version = i < history.Count ? history[i].Before : latest;
            var start = placeSite.Count;
            Placement(version, placeSite, placeRegion, placeWeight);
            result.Add(new PlaceStretch(from, start, placeSite.Count));
            if (i < history.Count) from = Math.Max(from, Minutes.Floor(history[i].EffectiveOn));
        }
        return [.. result];
    }

    private static bool SamePlace(ContractLine a, ContractLine? b)
    {
        if (b is null || a.Pinned.Count != b.Pinned.Count) return false;
        for (var i = 0; i < a.Pinned.Count; i++)
            if (a.Pinned[i] != b.Pinned[i]) return false;
        return true;
    }

    /// <summary>Adds a line's amount to a per-key total along a dimension, split by site shares for site and region.</summary>
    internal void Spread(FinanceDimension d, int line, decimal amount, decimal[] totals, bool[] used)
    {
        switch (d)
        {
            case FinanceDimension.Customer:
                totals[LineCustomerKey[line]] += amount;
                used[LineCustomerKey[line]] = true;
                return;
            case FinanceDimension.Platform:
                totals[LinePlatformKey[line]] += amount;
                used[LinePlatformKey[line]] = true;
                return;
        }
        var keys = d == FinanceDimension.Site ? PlaceSiteKey : PlaceRegionKey;
        for (var j = LinePlaceStart[line]; j < LinePlaceStart[line + 1]; j++)
        {
            totals[keys[j]] += PlaceWeight[j] == 1m ? amount : amount * PlaceWeight[j];
            used[keys[j]] = true;
        }
    }

    /// <summary>The line as it stands now, or its last known version when an amendment removed it.</summary>
    private static ContractLine? LatestVersion(Contract contract, LineId id)
    {
        foreach (var l in contract.Lines)
            if (l.Id == id) return l;
        ContractLine? last = null;
        var bestSeq = int.MinValue;
        foreach (var a in contract.Amendments)
        {
            if (a.Line != id || a.Sequence < bestSeq) continue;
            bestSeq = a.Sequence;
            last = a.After ?? a.Before;
        }
        return last;
    }

    /// <summary>Splits a line over the sites of its pinned blocks in proportion to units; no pin means "unplaced".</summary>
    private void Placement(ContractLine? version, List<int> placeSite, List<int> placeRegion, List<decimal> placeWeight)
    {
        var first = placeSite.Count;
        long total = 0;
        if (version is not null)
        {
            foreach (var b in version.Pinned)
            {
                if (b.Units <= 0 || !FabricSite.TryGetValue(b.Fabric, out var si)) continue;
                total += b.Units;
                var siteKey = SiteKey[si];
                var at = placeSite.IndexOf(siteKey, first);
                if (at >= 0)
                {
                    placeWeight[at] += b.Units; // units for now; turned into shares below
                    continue;
                }
                placeSite.Add(siteKey);
                placeRegion.Add(SiteRegionKey[si]);
                placeWeight.Add(b.Units);
            }
        }
        if (total == 0)
        {
            placeSite.Add(Key(FinanceDimension.Site, Unplaced));
            placeRegion.Add(Key(FinanceDimension.Region, Unplaced));
            placeWeight.Add(1m);
            return;
        }
        var rest = 1m;
        for (var i = first; i < placeSite.Count; i++)
        {
            // The last share takes the remainder so the shares add to exactly 1.
            placeWeight[i] = i == placeSite.Count - 1 ? rest : placeWeight[i] / total;
            rest -= placeWeight[i];
        }
    }
}

/// <summary>One stretch of a line's placement: from minute <see cref="From"/>, the shares in Stretch*[PlaceStart, PlaceEnd).</summary>
internal readonly record struct PlaceStretch(long From, int PlaceStart, int PlaceEnd);
