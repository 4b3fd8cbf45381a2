using System.Diagnostics;
using System.Globalization;
using Lessor.Core.Ledger;
using Lessor.Core.Model;

namespace Lessor.Bench.Scale;

/// <summary>
/// `dotnet run -c Release --project bench/Lessor.Bench -- peers`: our answers to the questions the peers answer,
/// on fleets of the same shape. Placement (../shared/peers/placement): "where can 8 GPUs go now" over 10,000 and
/// 50,000 8-GPU nodes in fabrics of 64 nodes, 70% of them committed. Slurm (../shared/peers/slurm/EARLIEST.md):
/// "earliest start" of 8 / 64 / 1,024 / 4,096 GPUs on a busy 1,000-node cluster (leaves of 32 nodes), with the
/// running layer of its fill script at the moment it measured (every node allocated, jobs ending 60-300 min from now) and, on top, its 3,000
/// pending shapes held as future reservations, which Slurm's answer ignores and ours respects.
/// </summary>
internal static class PeersBench
{
    private static readonly DateTime Now = Utc.Date(2026, 11, 27).AddHours(23);
    private static readonly PlatformId H100 = new("h100-hgx");

    public static int Run()
    {
        foreach (var nodes in new[] { 10_000, 50_000 })
        {
            var ledger = CapacityLedger.Build(Fleet(nodes, nodesPerFabric: 64, busyFraction: 0.7, seed: 1, futureJobs: 0)).Ledger;
            var deal = Deal(8, Now, Now.AddHours(1), Locality.Fabric);
            var samples = Time(() => ledger.Check(deal), 2000);
            var (p50, p99, _) = Stats.Percentiles(samples);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"placement: where can 8 GPUs go now, {nodes:N0} nodes: median {p50 * 1000:N1} us, p99 {p99 * 1000:N1} us; fits={ledger.Check(deal).Fits}"));
        }

        var busy = CapacityLedger.Build(Fleet(1000, nodesPerFabric: 32, busyFraction: 1.0, seed: 2, futureJobs: 3000)).Ledger;
        foreach (var (gpus, locality) in new[] { (8, Locality.Fabric), (64, Locality.Fabric), (1024, Locality.Any), (1024, Locality.Site), (4096, Locality.Any) })
        {
            var deal = Deal(gpus, Now, Now.AddHours(1), locality);
            var samples = Time(() => busy.Earliest(deal, Now, Now.AddDays(30)), 300);
            var (p50, p99, _) = Stats.Percentiles(samples);
            var answer = busy.Earliest(deal, Now, Now.AddDays(30));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"slurm: earliest start of {gpus:N0} GPUs ({locality}), 1,000 busy nodes + 3,000 future reservations: median {p50:N3} ms, p99 {p99:N3} ms; " +
                $"answer {(answer.Start is { } s ? s.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture) : "none")} after {answer.CandidatesChecked} candidates"));
        }
        return 0;
    }

    private static double[] Time(Action action, int n)
    {
        for (var i = 0; i < Math.Min(n, 100); i++) action();
        var samples = new double[n];
        var w = new Stopwatch();
        for (var i = 0; i < n; i++)
        {
            w.Restart();
            action();
            samples[i] = w.Elapsed.TotalMilliseconds;
        }
        return samples;
    }

    private static DealRequest Deal(int gpus, DateTime start, DateTime end, Locality locality) =>
        new(new CustomerId("bench"), [new DealLine { Platform = H100, Gpus = new GpuCount(gpus), Period = new Period(start, end), Locality = locality }]);

    /// <summary>
    /// One site of 8-GPU nodes in fabrics of <paramref name="nodesPerFabric"/>, all accepted a year ago; a running layer
    /// pinned node by node until <paramref name="busyFraction"/> of nodes are held, each ending 60-300 minutes from now;
    /// and <paramref name="futureJobs"/> reservations of 1-128 nodes starting within the next 30 days.
    /// </summary>
    private static Scenario Fleet(int nodes, int nodesPerFabric, double busyFraction, ulong seed, int futureJobs)
    {
        var rng = new SplitMix(seed);
        var platform = new Platform
        {
            Id = H100, Name = "H100 SXM HGX", Vendor = "NVIDIA", GpusPerUnit = 8, ScaleUpDomainGpus = 8, UnitKw = 10.2m, Cooling = Cooling.Air,
            CapexPerUnit = Money.Usd(300_000m), Prices = new PriceList(Money.Usd(2.2m), Money.Usd(1.8m), Money.Usd(1.5m)),
            LeadTimeDays = 180, AvailableFrom = Utc.Date(2023, 1, 1),
        };
        var fabrics = new List<Fabric>();
        var deliveries = new List<Delivery>();
        var free = new List<int>();
        for (int f = 0, left = nodes; left > 0; f++)
        {
            var size = Math.Min(nodesPerFabric, left);
            left -= size;
            var id = new FabricId($"leaf-{f:D4}");
            fabrics.Add(new Fabric { Id = id, Site = new SiteId("dc"), Platform = H100, MaxUnits = nodesPerFabric });
            deliveries.Add(new Delivery { Id = new DeliveryId($"d-{f:D4}"), Fabric = id, Units = size, Status = DeliveryStatus.Accepted, AcceptanceDate = Now.AddYears(-1) });
            free.Add(size);
        }

        var contracts = new List<Contract>();
        var busyTarget = (int)(nodes * busyFraction);
        for (var held = 0; held < busyTarget;)
        {
            var want = Math.Min(busyTarget - held, 1 + (int)rng.Next(8));
            var f = (int)rng.Next((ulong)fabrics.Count);
            var take = Math.Min(want, free[f]);
            if (take == 0) continue;
            free[f] -= take;
            held += take;
            var end = Now.AddMinutes(60 + (int)rng.Next(241));
            contracts.Add(Line($"run-{contracts.Count}", fabrics[f].Id, take, Now.AddDays(-1), end));
        }
        for (var j = 0; j < futureJobs; j++)
        {
            var units = 1 << (int)rng.Next(8);
            var f = (int)rng.Next((ulong)fabrics.Count);
            if (units > nodesPerFabric) continue;
            var start = Now.AddHours(6 + (int)rng.Next(24 * 30));
            contracts.Add(Line($"res-{j}", fabrics[f].Id, Math.Min(units, 4), start, start.AddHours(1 + (int)rng.Next(12))));
        }
        return new Scenario
        {
            Name = $"peer-fleet-{nodes}",
            Platforms = [platform],
            Regions = [new Region { Id = new RegionId("r"), Name = "r" }],
            Sites = [new Site { Id = new SiteId("dc"), Name = "dc", Region = new RegionId("r"), Cooling = [Cooling.Air], Power = [new PowerStep(Now.AddYears(-2), 10_000m)] }],
            Fabrics = fabrics,
            Deliveries = deliveries,
            Customers = [new Customer { Id = new CustomerId("bench"), Name = "bench" }],
            Contracts = contracts,
        };
    }

    private static Contract Line(string id, FabricId fabric, int units, DateTime start, DateTime end) => new()
    {
        Id = new ContractId(id),
        Customer = new CustomerId("bench"),
        SignedOn = start.AddDays(-30),
        Currency = Currency.Usd,
        Lines =
        [
            new ContractLine
            {
                Id = new LineId("l1"), Platform = H100, Gpus = new GpuCount(units * 8), Period = new Period(start, end),
                PricePerGpuHour = Money.Usd(2m), Locality = Locality.Fabric, Pinned = [new PlacedBlock(fabric, units)],
            },
        ],
    };

    /// <summary>SplitMix64: a seeded generator whose sequence never changes across .NET versions.</summary>
    private struct SplitMix(ulong seed)
    {
        private ulong _state = seed;

        public ulong Next(ulong bound)
        {
            _state += 0x9E3779B97F4A7C15UL;
            var z = _state;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return (z ^ (z >> 31)) % bound;
        }
    }
}
