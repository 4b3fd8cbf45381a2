using Lessor.Core.Finance;
using Lessor.Core.Risk;

namespace Lessor.Core.Fleet;

/// <summary>What a simulated step does: a node fails (with the Xid or DCGM result its cause shows), or an operator acts.</summary>
public enum SimulatedKind
{
    Failure,
    StartRepair,
    Rma,
    ReturnToService,
}

/// <summary>One step of a simulated month: at <see cref="At"/>, <see cref="Node"/> fails (by <see cref="Cause"/>) or is acted on.</summary>
public sealed record SimulatedStep(DateTime At, string Node, SimulatedKind Kind, string Cause, HealthEvent? Event);

/// <summary>
/// A month of failures and repairs for a fleet (docs/fleet.md), from the risk engine's <see cref="FailureModel"/>: one
/// interruption per <see cref="FailureModel.GpuHoursBetweenFailures"/> GPU-hours (Poisson over the month), on a node drawn
/// by its GPUs, at a uniform instant, by a cause drawn from the mix with its repair time. Hardware causes (those that use
/// a spare) go to RMA when the repair takes over 72 hours. Steps after the month are left out. Seeded and deterministic:
/// the same inputs give the same steps.
/// </summary>
public static class FleetSimulator
{
    public static IReadOnlyList<SimulatedStep> Month(IReadOnlyList<(string Serial, int Gpus)> nodes, YearMonth month, FailureModel model, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(nodes);
        ArgumentNullException.ThrowIfNull(model);
        var rng = new RiskRandom(seed, 0, 0);
        var cumulative = new long[nodes.Count];
        long gpus = 0;
        for (var i = 0; i < nodes.Count; i++) cumulative[i] = gpus += nodes[i].Gpus;
        var hours = (month.End - month.Start).TotalHours;
        var mean = gpus * hours / model.GpuHoursBetweenFailures;
        var count = Poisson(mean, rng);
        var shares = model.Causes.Sum(c => c.Share);
        var steps = new List<SimulatedStep>();
        for (var k = 0; k < count && gpus > 0; k++)
        {
            var pick = (long)(rng.Next() * gpus);
            var index = Array.BinarySearch(cumulative, pick + 1);
            if (index < 0) index = ~index;
            var node = nodes[Math.Min(index, nodes.Count - 1)].Serial;
            var at = month.Start.AddMinutes(Math.Floor(rng.Next() * hours * 60));
            var u = rng.Next() * shares;
            var cause = model.Causes[^1];
            foreach (var c in model.Causes)
            {
                if (u < c.Share)
                {
                    cause = c;
                    break;
                }
                u -= c.Share;
            }
            var repair = TimeSpan.FromHours(Math.Max(0.25, cause.RepairHours.Quantile(rng.Next())));
            steps.Add(new SimulatedStep(at, node, SimulatedKind.Failure, cause.Name, EventOf(cause.Name)));
            steps.Add(new SimulatedStep(at.AddMinutes(5), node, SimulatedKind.StartRepair, cause.Name, null));
            if (cause.UsesSpare && repair > TimeSpan.FromHours(72)) steps.Add(new SimulatedStep(at.AddHours(1), node, SimulatedKind.Rma, cause.Name, null));
            steps.Add(new SimulatedStep(at + repair, node, SimulatedKind.ReturnToService, cause.Name, null));
        }
        // Only what happens inside the month: a repair that ends later leaves its node out (and its outage open) at the end.
        return [.. steps.Where(s => s.At < month.End).OrderBy(s => s.At).ThenBy(s => s.Node, StringComparer.Ordinal).ThenBy(s => s.Kind)];
    }

    /// <summary>What the node reports for a cause: the Xid or DCGM result the rule table fails a node on.</summary>
    public static HealthEvent EventOf(string cause) => cause switch
    {
        "gpu" => new HealthEvent(HealthEventKind.Xid, 0, 79, null, "GPU has fallen off the bus"),
        "hbm" => new HealthEvent(HealthEventKind.Xid, 0, 48, null, "double-bit ECC error"),
        "software" => new HealthEvent(HealthEventKind.Xid, 0, 119, null, "GSP RPC timeout"),
        _ => new HealthEvent(HealthEventKind.Dcgm, null, null, DcgmLevel.Fail, cause),
    };

    private static long Poisson(double mean, RiskRandom rng)
    {
        if (mean <= 0) return 0;
        if (mean > 50) return Math.Max(0, (long)Math.Round(mean + Math.Sqrt(mean) * Normal(rng)));
        var limit = Math.Exp(-mean);
        long k = 0;
        var p = rng.Next();
        while (p > limit)
        {
            k++;
            p *= rng.Next();
        }
        return k;
    }

    private static double Normal(RiskRandom rng) => Math.Sqrt(-2 * Math.Log(1 - rng.Next())) * Math.Cos(2 * Math.PI * rng.Next());
}
