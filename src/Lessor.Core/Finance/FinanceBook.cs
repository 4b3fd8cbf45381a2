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

    private FinanceBook(Scenario scenario, ICoverageSource coverage)
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

        var contracts = new ContractSchedule[scenario.Contracts.Count];
        var lineCount = 0;
        for (var c = 0; c < contracts.Length; c++)
        {
            contracts[c] = RevenueSchedule.ForContract(scenario.Contracts[c], coverage);
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
                n++;
                LinePlaceStart[n] = placeSite.Count;
            }
        }
        PlaceSiteKey = [.. placeSite];
        PlaceRegionKey = [.. placeRegion];
        PlaceWeight = [.. placeWeight];
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
    internal int[] ContractCustomerKey { get; }
    internal int[] SiteKey { get; }
    internal int[] SiteRegionKey { get; }
    internal Dictionary<FabricId, int> FabricSite { get; }

    /// <summary>Computes every contract's schedule once against the ledger's coverage.</summary>
    public static FinanceBook Build(Scenario scenario, ICoverageSource coverage) => new(scenario, coverage);

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
