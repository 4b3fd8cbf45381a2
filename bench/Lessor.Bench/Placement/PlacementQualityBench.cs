using System.Diagnostics;
using System.Globalization;
using Google.OrTools.Sat;
using Lessor.Core.Ledger;
using Lessor.Core.Model;

namespace Lessor.Bench.Placement;

/// <summary>
/// Placement quality (issue 4): on seeded streams of fabric-local deals of the usual sizes, accepted GPU-hours and
/// stranding for (a) first-fit in arrival order, (b) the ledger's policy in arrival order, (c) CP-SAT optima: offline
/// (which deals to accept and where) and online (placement chosen with hindsight, but a deal that fits is accepted). Usage: placement [instances] [deals] [seconds per solve].
/// </summary>
internal static class PlacementQualityBench
{
    private const int Unit = 8;
    private const int HorizonDays = 365;
    private static readonly DateTime T0 = Utc.Date(2030, 1, 1);
    private static readonly int[] Sizes = [8, 72, 1_024, 4_096, 16_384];
    private static readonly int[] Weights = [30, 25, 20, 15, 10];

    /// <summary>One deal: GPUs (also its block) over [Start, End) days from T0.</summary>
    private sealed record Deal(int Gpus, int Start, int End)
    {
        public long GpuDays => (long)Gpus * (End - Start);
    }

    /// <summary>Where each deal went (fabric index, or -1 when refused).</summary>
    private sealed record Outcome(int[] Fabric, bool Optimal = true);

    public static int Run(string[] args)
    {
        var instances = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 10;
        var deals = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 30;
        var seconds = args.Length > 3 ? double.Parse(args[3], CultureInfo.InvariantCulture) : 20;
        Console.WriteLine($"{instances} instances per family, {deals} fabric-local deals each (sizes {string.Join('/', Sizes)} GPUs, block = size), {HorizonDays} days");
        Console.WriteLine("family       seed  first-fit  policy  +moves  packable  mov/pack  online-opt  optimum  pol/online  mov/online  mov/opt  pol/ff-1  strand@1024 ff/policy/moves/opt");
        foreach (var (family, capacities) in new[]
                 {
                     // Largest fabric first by id: first-fit breaks it with small deals.
                     ("fragmenting", new[] { 16_384, 4_096, 4_096, 2_048 }),
                     // Smallest first: first-fit happens to fill small fabrics first.
                     ("ascending", new[] { 2_048, 4_096, 4_096, 16_384 }),
                 })
        {
            double sumFf = 0, sumPol = 0, sumOpt = 0, sumOnline = 0, sumRep = 0, sumPack = 0;
            var allOptimal = true;
            for (var seed = 1; seed <= instances; seed++)
            {
                var stream = Stream(new Random(seed), deals, capacities);
                var ff = FirstFit(stream, capacities);
                var pol = Policy(stream, capacities);
                var rep = Policy(stream, capacities, replace: true);
                var sw = Stopwatch.StartNew();
                var opt = Optimum(stream, capacities, seconds);
                var online = Optimum(stream, capacities, seconds, acceptIfFits: true);
                var packable = Packable(stream, capacities, seconds);
                sw.Stop();
                allOptimal &= opt.Optimal && online.Optimal && packable.Optimal;
                double a = Accepted(stream, ff), b = Accepted(stream, pol), c = Accepted(stream, opt), o = Accepted(stream, online), r = Accepted(stream, rep), k = Accepted(stream, packable);
                sumFf += a; sumPol += b; sumOpt += c; sumOnline += o; sumRep += r; sumPack += k;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{family,-12} {seed,4} {a * 24 / 1e6,9:F2}M {b * 24 / 1e6,6:F2}M {r * 24 / 1e6,7:F2}M {k * 24 / 1e6,8:F2}M {r / k,8:P1} {o * 24 / 1e6,8:F2}M{(online.Optimal ? " " : "*")} {c * 24 / 1e6,7:F2}M{(opt.Optimal ? " " : "*")} {b / o,9:P1} {r / o,9:P1} {r / c,9:P1} {b / a - 1,9:P1}  " +
                    $"{Stranded(stream, capacities, ff):P1}/{Stranded(stream, capacities, pol):P1}/{Stranded(stream, capacities, rep):P1}/{Stranded(stream, capacities, opt):P1}  ({sw.Elapsed.TotalSeconds:F1} s)"));
            }
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{family,-12} total accepted GPU-hours: first-fit {sumFf * 24 / 1e6:F1}M, policy {sumPol * 24 / 1e6:F1}M, policy with moves {sumRep * 24 / 1e6:F1}M, exact accept-if-packable {sumPack * 24 / 1e6:F1}M, online optimum {sumOnline * 24 / 1e6:F1}M, " +
                $"offline optimum {sumOpt * 24 / 1e6:F1}M{(allOptimal ? "" : " (* = time limit, best found)")}; " +
                $"with moves/accept-if-packable {sumRep / sumPack:P2}, policy/online optimum {sumPol / sumOnline:P2}, with moves/online optimum {sumRep / sumOnline:P2}, with moves/offline optimum {sumRep / sumOpt:P2}, " +
                $"policy vs first-fit {sumPol / sumFf - 1:+0.0%;-0.0%}, with moves vs first-fit {sumRep / sumFf - 1:+0.0%;-0.0%}"));
            var book = $"{instances} seeds x {deals} fabric-local deals on fabrics of {string.Join('/', capacities)} GPUs ({family} ids)";
            Results.Record(new BenchFigure("placement", $"placement.moves_vs_first_fit.{family}.{deals}",
                "accepted GPU-hours of the desk's policy with moves of unstarted lines over first-fit on the same streams, as a gain (deterministic)",
                book, "%", (sumRep / sumFf - 1) * 100)
            {
                Attempted = instances, Succeeded = instances,
                Target = family == "ascending" ? ">= +10% over plain first-fit" : null, Met = family == "ascending" ? sumRep / sumFf - 1 >= 0.10 : null,
                Extra = new Dictionary<string, double>
                {
                    ["first_fit_gpu_hours_m"] = sumFf * 24 / 1e6, ["moves_gpu_hours_m"] = sumRep * 24 / 1e6,
                    ["policy_vs_first_fit_pct"] = (sumPol / sumFf - 1) * 100, ["moves_over_exact_accept_if_packable_pct"] = sumRep / sumPack * 100,
                    ["moves_over_online_optimum_pct"] = sumRep / sumOnline * 100, ["moves_over_offline_optimum_pct"] = sumRep / sumOpt * 100,
                    ["all_solves_optimal"] = allOptimal ? 1 : 0,
                },
            });
        }
        return 0;
    }

    private static List<Deal> Stream(Random rng, int count, int[] capacities)
    {
        var largest = capacities.Max();
        var deals = new List<Deal>(count);
        var total = Weights.Sum();
        while (deals.Count < count)
        {
            var pick = rng.Next(total);
            var k = 0;
            while (pick >= Weights[k]) pick -= Weights[k++];
            if (Sizes[k] > largest) continue;
            // Small deals come many at a time in practice; scale their count so every size class carries real volume.
            var start = rng.Next(0, HorizonDays - 30);
            var end = Math.Min(HorizonDays, start + rng.Next(30, HorizonDays));
            var gpus = Sizes[k] <= 72 ? Sizes[k] * rng.Next(1, 12) : Sizes[k];
            deals.Add(new Deal(gpus, start, end));
        }
        return deals;
    }

    private static double Accepted(List<Deal> deals, Outcome o)
    {
        double sum = 0;
        for (var d = 0; d < deals.Count; d++) if (o.Fabric[d] >= 0) sum += deals[d].GpuDays;
        return sum;
    }

    /// <summary>(a) First fabric by id whose least free GPUs over the deal's days hold it.</summary>
    private static Outcome FirstFit(List<Deal> deals, int[] capacities)
    {
        var free = capacities.Select(c => Enumerable.Repeat(c, HorizonDays).ToArray()).ToArray();
        var fabric = new int[deals.Count];
        for (var d = 0; d < deals.Count; d++)
        {
            fabric[d] = -1;
            for (var f = 0; f < capacities.Length && fabric[d] < 0; f++)
            {
                var fits = true;
                for (var t = deals[d].Start; t < deals[d].End && fits; t++) fits = free[f][t] >= deals[d].Gpus;
                if (!fits) continue;
                fabric[d] = f;
                for (var t = deals[d].Start; t < deals[d].End; t++) free[f][t] -= deals[d].Gpus;
            }
        }
        return new Outcome(fabric);
    }

    /// <summary>
    /// (b) The ledger's own placement: every deal signed in arrival order, fabric locality, block = size. With
    /// <paramref name="replace"/>, a deal that does not fit is checked again letting lines that have not started move
    /// (every line here is signed before T0, so none has), and signed with those moves when that fits.
    /// </summary>
    private static Outcome Policy(List<Deal> deals, int[] capacities, bool replace = false)
    {
        var ledger = CapacityLedger.Build(Estate(capacities, [])).Ledger;
        var asOf = T0.AddDays(-1);
        var signed = new bool[deals.Count];
        for (var d = 0; d < deals.Count; d++)
        {
            var deal = deals[d];
            var line = new DealLine
            {
                Platform = new PlatformId("hgx"), Gpus = new GpuCount(deal.Gpus), Period = Days(deal.Start, deal.End),
                Locality = Locality.Fabric, BlockSize = new GpuCount(Math.Min(deal.Gpus, BlockOf(deal.Gpus))), PricePerGpuHour = Money.Usd(2m),
            };
            var request = new DealRequest(new CustomerId("c"), [line]);
            var result = ledger.Sign(new ContractId($"d{d}"), request);
            if (!result.Applied && replace)
            {
                var repack = ledger.CheckWithReplacement(request, asOf);
                if (repack.Fit.Fits && ledger.ApplyMoves(repack.Moves, asOf).Applied) result = ledger.Commit(new ContractId($"d{d}"), repack.Fit.Placements);
            }
            signed[d] = result.Applied;
        }
        // Lines may have moved since they were signed: read where each sits at the end.
        var fabric = new int[deals.Count];
        for (var d = 0; d < deals.Count; d++) fabric[d] = signed[d] ? FabricOf(ledger, new ContractId($"d{d}")) : -1;
        return new Outcome(fabric);
    }

    // Small deals are several servers or racks: their block is the server (8) or rack (72); a training deal is one block.
    private static int BlockOf(int gpus) => gpus % 72 == 0 && gpus < 1_024 ? 72 : gpus < 1_024 ? 8 : gpus;

    private static int FabricOf(CapacityLedger ledger, ContractId contract)
    {
        foreach (var line in ledger.LineRefs)
        {
            if (line.Contract != contract) continue;
            var id = ledger.PlacementOf(line)[0].Fabric.Value;
            return int.Parse(id.AsSpan(1), CultureInfo.InvariantCulture);
        }
        return -1;
    }

    /// <summary>(c) Offline optimum: which deals to accept and in which fabric, maximising accepted GPU-days.</summary>
    private static Outcome Optimum(List<Deal> deals, int[] capacities, double seconds, bool acceptIfFits = false)
    {
        var model = new CpModel();
        var x = new BoolVar?[deals.Count, capacities.Length];
        for (var d = 0; d < deals.Count; d++)
        {
            var one = new List<ILiteral>();
            for (var f = 0; f < capacities.Length; f++)
            {
                if (deals[d].Gpus > capacities[f]) continue;
                x[d, f] = model.NewBoolVar($"x{d}_{f}");
                one.Add(x[d, f]!);
            }
            model.AddAtMostOne(one);
        }
        // Load only rises at a deal's start, so capacity at every start is capacity at every instant.
        for (var f = 0; f < capacities.Length; f++)
        {
            foreach (var t in deals.Select(d => d.Start).Distinct())
            {
                var load = LinearExpr.NewBuilder();
                for (var d = 0; d < deals.Count; d++)
                {
                    if (x[d, f] is { } v && deals[d].Start <= t && t < deals[d].End) load.AddTerm(v, deals[d].Gpus);
                }
                model.Add(load <= capacities[f]);
            }
        }
        if (acceptIfFits) AcceptIfFits(model, x, deals, capacities);
        var objective = LinearExpr.NewBuilder();
        for (var d = 0; d < deals.Count; d++)
        {
            for (var f = 0; f < capacities.Length; f++) if (x[d, f] is { } v) objective.AddTerm(v, deals[d].GpuDays);
        }
        model.Maximize(objective);
        var solver = new CpSolver { StringParameters = string.Create(CultureInfo.InvariantCulture, $"max_time_in_seconds:{seconds} num_workers:2 random_seed:1") };
        var status = solver.Solve(model);
        var fabric = new int[deals.Count];
        for (var d = 0; d < deals.Count; d++)
        {
            fabric[d] = -1;
            for (var f = 0; f < capacities.Length; f++) if (x[d, f] is { } v && solver.BooleanValue(v)) fabric[d] = f;
        }
        return new Outcome(fabric, status == CpSolverStatus.Optimal);
    }

    /// <summary>
    /// (e) The exact accept-if-it-fits rule when lines that have not started may move: deal d is accepted if and only if
    /// it and every deal accepted before it can be packed together (a CP-SAT feasibility solve per deal). This is what
    /// a perfect placement with re-placement achieves with no knowledge of later deals: the bar for (b) with moves.
    /// </summary>
    private static Outcome Packable(List<Deal> deals, int[] capacities, double seconds)
    {
        var accepted = new List<int>();
        var fabric = Enumerable.Repeat(-1, deals.Count).ToArray();
        var exact = true;
        for (var d = 0; d < deals.Count; d++)
        {
            List<int> set = [.. accepted, d];
            var model = new CpModel();
            var x = new BoolVar?[set.Count, capacities.Length];
            for (var i = 0; i < set.Count; i++)
            {
                var one = new List<ILiteral>();
                for (var f = 0; f < capacities.Length; f++)
                {
                    if (deals[set[i]].Gpus > capacities[f]) continue;
                    x[i, f] = model.NewBoolVar($"x{i}_{f}");
                    one.Add(x[i, f]!);
                }
                model.AddExactlyOne(one);
            }
            for (var f = 0; f < capacities.Length; f++)
            {
                foreach (var t in set.Select(i => deals[i].Start).Distinct())
                {
                    var load = LinearExpr.NewBuilder();
                    for (var i = 0; i < set.Count; i++)
                    {
                        var deal = deals[set[i]];
                        if (x[i, f] is { } v && deal.Start <= t && t < deal.End) load.AddTerm(v, deal.Gpus);
                    }
                    model.Add(load <= capacities[f]);
                }
            }
            var solver = new CpSolver { StringParameters = string.Create(CultureInfo.InvariantCulture, $"max_time_in_seconds:{seconds} num_workers:2 random_seed:1") };
            var status = solver.Solve(model);
            if (status is CpSolverStatus.Unknown) exact = false;
            if (status is not (CpSolverStatus.Optimal or CpSolverStatus.Feasible)) continue;
            accepted.Add(d);
            for (var i = 0; i < set.Count; i++)
            {
                for (var f = 0; f < capacities.Length; f++) if (x[i, f] is { } v && solver.BooleanValue(v)) fabric[set[i]] = f;
            }
        }
        return new Outcome(fabric, exact);
    }

    /// <summary>
    /// The online rule every placement policy obeys: a deal is refused only when, given the deals before it that were
    /// accepted, no fabric has room for it at some instant of its period (checked at its start and at earlier starts
    /// inside its period, where load rises). With it the optimum is the best any accept-if-it-fits policy can do.
    /// </summary>
    private static void AcceptIfFits(CpModel model, BoolVar?[,] x, List<Deal> deals, int[] capacities)
    {
        for (var d = 0; d < deals.Count; d++)
        {
            var accepted = LinearExpr.NewBuilder();
            for (var f = 0; f < capacities.Length; f++) if (x[d, f] is { } v) accepted.Add(v);
            var points = new SortedSet<int> { deals[d].Start };
            for (var e = 0; e < d; e++) if (deals[e].Start > deals[d].Start && deals[e].Start < deals[d].End) points.Add(deals[e].Start);
            for (var f = 0; f < capacities.Length; f++)
            {
                if (deals[d].Gpus > capacities[f]) continue;
                var blocked = LinearExpr.NewBuilder();
                foreach (var t in points)
                {
                    var y = model.NewBoolVar($"y{d}_{f}_{t}");
                    blocked.Add(y);
                    var load = LinearExpr.NewBuilder();
                    for (var e = 0; e < d; e++)
                    {
                        if (x[e, f] is { } v && deals[e].Start <= t && t < deals[e].End) load.AddTerm(v, deals[e].Gpus);
                    }
                    model.Add(load >= capacities[f] - deals[d].Gpus + 1).OnlyEnforceIf(y);
                }
                // Refused (no x set) implies blocked at some point in this fabric.
                model.Add(LinearExpr.Sum([blocked, accepted]) >= 1);
            }
        }
    }

    /// <summary>Stranded share of free GPU-hours over the horizon for deals of 1,024 GPUs or more, via the ledger's metric.</summary>
    private static decimal Stranded(List<Deal> deals, int[] capacities, Outcome o)
    {
        var pinned = new List<Contract>();
        for (var d = 0; d < deals.Count; d++)
        {
            if (o.Fabric[d] < 0) continue;
            pinned.Add(new Contract
            {
                Id = new ContractId($"d{d}"), Customer = new CustomerId("c"), SignedOn = Utc.Date(2025, 1, 1), Currency = Currency.Usd,
                Lines =
                [
                    new ContractLine
                    {
                        Id = new LineId("L1"), Platform = new PlatformId("hgx"), Gpus = new GpuCount(deals[d].Gpus),
                        Period = Days(deals[d].Start, deals[d].End), PricePerGpuHour = Money.Usd(2m),
                        Pinned = [new PlacedBlock(new FabricId($"f{o.Fabric[d]}"), deals[d].Gpus / Unit)],
                    },
                ],
            });
        }
        var ledger = CapacityLedger.Build(Estate(capacities, pinned)).Ledger;
        return ledger.Stranding(Days(0, HorizonDays), minDealGpus: 1_024).Share;
    }

    private static Period Days(int from, int to) => new(T0.AddDays(from), T0.AddDays(to));

    private static Scenario Estate(int[] capacities, List<Contract> contracts) => new()
    {
        Name = "placement-quality",
        Platforms =
        [
            new Platform
            {
                Id = new PlatformId("hgx"), Name = "hgx", Vendor = "NVIDIA", GpusPerUnit = Unit, ScaleUpDomainGpus = Unit, UnitKw = 10m,
                Cooling = Cooling.Air, CapexPerUnit = Money.Usd(300_000m), Prices = new PriceList(Money.Usd(2.2m), Money.Usd(1.8m), Money.Usd(1.5m)),
                LeadTimeDays = 180, AvailableFrom = Utc.Date(2020, 1, 1),
            },
        ],
        Regions = [new Region { Id = new RegionId("r1"), Name = "r1" }],
        Sites =
        [
            new Site { Id = new SiteId("s1"), Name = "s1", Region = new RegionId("r1"), Cooling = [Cooling.Air], Power = [new PowerStep(Utc.Date(2020, 1, 1), 10_000m)] },
        ],
        Fabrics = [.. capacities.Select((c, i) => new Fabric { Id = new FabricId($"f{i}"), Site = new SiteId("s1"), Platform = new PlatformId("hgx"), MaxUnits = c / Unit })],
        Deliveries =
        [
            .. capacities.Select((c, i) => new Delivery
            {
                Id = new DeliveryId($"d{i}"), Fabric = new FabricId($"f{i}"), Units = c / Unit, Status = DeliveryStatus.Accepted, AcceptanceDate = T0,
            }),
        ],
        Contracts = contracts,
    };
}
