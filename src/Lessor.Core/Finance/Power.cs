using Lessor.Core.Model;

namespace Lessor.Core.Finance;

/// <summary>In-service, drawn and contracted MW and utilization of one slice; null where the slice has no such figure.</summary>
internal readonly record struct PowerFigures(decimal? InServiceMw, decimal? DrawnMw, decimal? ContractedMw, decimal? Utilization);

/// <summary>
/// In-service, drawn and contracted power and available GPU-minutes per platform, site and region as of an instant.
/// In-service power is what operators report as "active power": the energized critical IT envelope of every site in service
/// (at least one accepted unit), whether or not racks draw all of it. Drawn power is the IT kW of accepted units,
/// capped per site by its envelope (units cannot draw more than is energized). A platform's in-service MW is its share
/// of each site's envelope in proportion to its draw there, so platforms add up to the total.
/// </summary>
internal sealed class Power
{
    private readonly decimal[][] _inServiceMw = new decimal[4][];
    private readonly decimal[][] _drawnMw = new decimal[4][];
    private readonly decimal[][] _contractedMw = new decimal[4][];
    private readonly decimal[][] _availableGpuMinutes = new decimal[4][];
    private decimal _totalInService;
    private decimal _totalDrawn;
    private decimal _totalContracted;
    private decimal _totalAvailable;

    private Power(FinanceBook book)
    {
        for (var d = 0; d < 4; d++)
        {
            var n = book.KeyCount((FinanceDimension)d);
            _inServiceMw[d] = new decimal[n];
            _drawnMw[d] = new decimal[n];
            _contractedMw[d] = new decimal[n];
            _availableGpuMinutes[d] = new decimal[n];
        }
    }

    /// <param name="a">As-of minute.</param>
    /// <param name="r0">Start of the utilization window (minute).</param>
    /// <param name="r1">End of the utilization window (minute, exclusive).</param>
    /// <param name="countExpected">Count deliveries not yet marked accepted once their date has passed.</param>
    public static Power Compute(FinanceBook book, long a, long r0, long r1, bool countExpected)
    {
        var scenario = book.Scenario;
        var power = new Power(book);
        var platforms = new Dictionary<PlatformId, Platform>(scenario.Platforms.Count);
        foreach (var p in scenario.Platforms) platforms[p.Id] = p;
        var fabrics = new Dictionary<FabricId, Fabric>(scenario.Fabrics.Count);
        foreach (var f in scenario.Fabrics) fabrics[f.Id] = f;

        var sites = scenario.Sites;
        var rawKw = new decimal[sites.Count];
        var inService = new bool[sites.Count];
        var deliverySite = new int[scenario.Deliveries.Count];
        var deliveryKw = new decimal[scenario.Deliveries.Count];
        var deliveryPlatformKey = new int[scenario.Deliveries.Count];
        var asOf = Utc.FromMinute(a);
        var site = FinanceDimension.Site;
        var region = FinanceDimension.Region;
        var platformDim = FinanceDimension.Platform;

        for (var i = 0; i < scenario.Deliveries.Count; i++)
        {
            deliverySite[i] = -1;
            var d = scenario.Deliveries[i];
            var accepted = Minutes.Floor(d.AcceptanceDate);
            if (!fabrics.TryGetValue(d.Fabric, out var fabric) || !platforms.TryGetValue(fabric.Platform, out var platform)) continue;
            if (!book.FabricSite.TryGetValue(d.Fabric, out var si)) continue;
            var platformKey = book.Key(platformDim, platform.Id.Value);

            // Utilization divides covered GPU-time by the supply that covered it: the ledger counts a delivery from its
            // acceptance date whatever its status, so the window's available GPU-time must too, or GPU-time covered by a
            // delivery not yet marked accepted would count above the line (utilization over 100%).
            var from = Math.Max(r0, accepted);
            if (from < r1)
            {
                var gpuMinutes = (decimal)d.Units * platform.GpusPerUnit * (r1 - from);
                power._availableGpuMinutes[(int)platformDim][platformKey] += gpuMinutes;
                power._availableGpuMinutes[(int)site][book.SiteKey[si]] += gpuMinutes;
                power._availableGpuMinutes[(int)region][book.SiteRegionKey[si]] += gpuMinutes;
                power._totalAvailable += gpuMinutes;
            }

            if (d.Status != DeliveryStatus.Accepted && !countExpected) continue;
            if (accepted > a) continue;
            deliverySite[i] = si;
            deliveryKw[i] = d.Units * platform.UnitKw;
            deliveryPlatformKey[i] = platformKey;
            rawKw[si] += deliveryKw[i];
            inService[si] |= d.Units > 0;
        }

        var envelopeKw = new decimal[sites.Count];
        for (var s = 0; s < sites.Count; s++)
        {
            envelopeKw[s] = sites[s].MwAt(asOf) * 1000m;
            var drawnMw = Math.Min(rawKw[s], envelopeKw[s]) / 1000m;
            // An energized hall with nothing accepted in it is not "in service" yet.
            var inServiceMw = inService[s] ? envelopeKw[s] / 1000m : 0m;
            power._drawnMw[(int)site][book.SiteKey[s]] += drawnMw;
            power._drawnMw[(int)region][book.SiteRegionKey[s]] += drawnMw;
            power._totalDrawn += drawnMw;
            power._inServiceMw[(int)site][book.SiteKey[s]] += inServiceMw;
            power._inServiceMw[(int)region][book.SiteRegionKey[s]] += inServiceMw;
            power._totalInService += inServiceMw;
            var contracted = sites[s].ContractedMw;
            power._contractedMw[(int)site][book.SiteKey[s]] += contracted;
            power._contractedMw[(int)region][book.SiteRegionKey[s]] += contracted;
            power._totalContracted += contracted;
        }
        for (var i = 0; i < deliverySite.Length; i++)
        {
            var s = deliverySite[i];
            if (s < 0 || rawKw[s] == 0m) continue;
            // Multiply before dividing so a platform alone at a site gets exactly the site's figures.
            var kw = deliveryKw[i];
            power._drawnMw[(int)platformDim][deliveryPlatformKey[i]] += rawKw[s] <= envelopeKw[s] ? kw / 1000m : kw * envelopeKw[s] / rawKw[s] / 1000m;
            power._inServiceMw[(int)platformDim][deliveryPlatformKey[i]] += kw * envelopeKw[s] / rawKw[s] / 1000m;
        }
        return power;
    }

    public PowerFigures Of(FinanceDimension d, int key, decimal committedGpuMinutes)
    {
        if (d == FinanceDimension.Customer) return default;
        var available = _availableGpuMinutes[(int)d][key];
        decimal? utilization = available > 0m ? committedGpuMinutes / available : null;
        decimal? contracted = d == FinanceDimension.Platform ? null : _contractedMw[(int)d][key];
        return new PowerFigures(_inServiceMw[(int)d][key], _drawnMw[(int)d][key], contracted, utilization);
    }

    public PowerFigures Total(decimal committedGpuMinutes) =>
        new(_totalInService, _totalDrawn, _totalContracted, _totalAvailable > 0m ? committedGpuMinutes / _totalAvailable : null);
}
