using Lessor.Core.Generation;
using Lessor.Core.Risk;

namespace Lessor.Core.Fleet;

/// <summary>A node the simulator reports for: its serial and how many GPUs it has.</summary>
public sealed record SimulatedNode(string Serial, int Gpus);

/// <summary>
/// One simulated interruption: node <see cref="Node"/> (an index into the simulator's nodes) fails at <see cref="At"/>
/// of <see cref="Cause"/> (a <see cref="FailureModel"/> cause), on <see cref="Gpu"/> when the cause is a GPU's, and is
/// back in service at <see cref="RepairedAt"/> (half-open: down during [At, RepairedAt)).
/// </summary>
public sealed record SimulatedFailure(int Node, DateTime At, string Cause, int? Gpu, DateTime RepairedAt);

/// <summary>
/// A seeded, deterministic fleet of health agents: interruptions arrive as a Poisson process at one per
/// <see cref="FailureModel.GpuHoursBetweenFailures"/> GPU-hours over the whole fleet, land on a node with probability
/// proportional to its GPUs, take their cause from the model's mix and their repair time from the cause's distribution.
/// Each cause shows as the signals of <see cref="Signals"/> (the table in docs/agent.md). Readings between failures are
/// a pure function of (seed, node, tick), so any report can be produced again without replaying the others. No I/O,
/// no clock: the start instant and the seed are arguments.
/// </summary>
public sealed class HealthSimulation
{
    private readonly IReadOnlyList<SimulatedNode> _nodes;
    private readonly FailureModel _model;
    private readonly ulong _seed;
    private readonly long[] _gpuPrefix;
    private readonly Xoshiro256 _rng;
    private readonly double[] _causeWeights;
    private readonly List<SimulatedFailure> _failures = [];
    private readonly Dictionary<int, List<SimulatedFailure>> _byNode = [];
    private DateTime _generatedUntil;
    private DateTime _nextFailure;

    public HealthSimulation(IReadOnlyList<SimulatedNode> nodes, FailureModel model, ulong seed, DateTime start, TimeSpan interval)
    {
        ArgumentNullException.ThrowIfNull(nodes);
        ArgumentNullException.ThrowIfNull(model);
        if (nodes.Count == 0) throw new ArgumentException("The fleet has no nodes.", nameof(nodes));
        if (interval <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(interval), "The interval must be positive.");
        if (start.Kind != DateTimeKind.Utc) throw new ArgumentException("The start must be UTC.", nameof(start));
        if (model.GpuHoursBetweenFailures <= 0) throw new ArgumentException("GpuHoursBetweenFailures must be positive.", nameof(model));
        _nodes = nodes;
        _model = model;
        _seed = seed;
        Start = start;
        Interval = interval;
        _gpuPrefix = new long[nodes.Count + 1];
        for (var i = 0; i < nodes.Count; i++)
        {
            if (nodes[i].Gpus is < 1 or > 64) throw new ArgumentException($"Node {nodes[i].Serial} has {nodes[i].Gpus} GPUs; 1 to 64 are allowed.", nameof(nodes));
            _gpuPrefix[i + 1] = _gpuPrefix[i] + nodes[i].Gpus;
        }
        _causeWeights = model.Causes.Select(c => c.Share).ToArray();
        _rng = new Xoshiro256(seed);
        _generatedUntil = start;
        _nextFailure = start + Gap();
    }

    public DateTime Start { get; }

    public TimeSpan Interval { get; }

    public IReadOnlyList<SimulatedNode> Nodes => _nodes;

    public long TotalGpus => _gpuPrefix[^1];

    /// <summary>Fleet-wide interruptions per hour: total GPUs / GPU-hours between failures.</summary>
    public double FailuresPerHour => TotalGpus / _model.GpuHoursBetweenFailures;

    /// <summary>The instant of tick <paramref name="tick"/> (from 0).</summary>
    public DateTime At(long tick) => Start + Interval * tick;

    /// <summary>Every interruption that starts before <paramref name="until"/>, in time order.</summary>
    public IReadOnlyList<SimulatedFailure> FailuresUntil(DateTime until)
    {
        Extend(until);
        var n = _failures.Count;
        while (n > 0 && _failures[n - 1].At >= until) n--;
        return n == _failures.Count ? _failures : _failures.GetRange(0, n);
    }

    /// <summary>
    /// Node <paramref name="node"/>'s report at tick <paramref name="tick"/>, numbered <paramref name="seq"/>: its GPUs'
    /// readings, and the signals of an interruption that started since the previous tick (and, while it lasts, a DCGM
    /// fail each tick; a DCGM pass on the first tick after repair).
    /// </summary>
    public HealthReport Report(int node, long tick, long seq)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(tick);
        var at = At(tick);
        Extend(at + Interval);
        var n = _nodes[node];
        var previous = tick == 0 ? DateTime.MinValue : at - Interval;
        SimulatedFailure? down = null, started = null, repaired = null;
        var ecc = 0L;
        var nvlink = 0L;
        if (_byNode.TryGetValue(node, out var failures))
        {
            foreach (var f in failures)
            {
                if (f.At > at) break;
                if (f.At > previous) started = f;
                if (f.RepairedAt > at) down = f;
                else if (f.RepairedAt > previous) repaired = f;
                // Counters are cumulative since the driver loaded; a repair reloads it.
                if (f.RepairedAt <= at) continue;
                if (f.Cause == "hbm") ecc += 1;
                if (f.Cause == "network") nvlink += 10 + (long)(Hash(node, tick, 99) % 1000);
            }
        }

        var gpus = new GpuReading[n.Gpus];
        for (var g = 0; g < n.Gpus; g++)
        {
            var u = Unit(node, tick, g);
            var util = down is not null ? 0 : 0.85 + 0.15 * u;
            var temp = Math.Round(down is not null ? 35 + 5 * u : 55 + 20 * util + 5 * Unit(node, tick, g + 64), 1);
            var power = Math.Round(down is not null ? 90 + 20 * u : 350 + 350 * util, 1);
            var onFailed = down is not null && down.Gpu == g;
            gpus[g] = new GpuReading(g, temp, power, Math.Round(util, 3), onFailed || down?.Gpu is null ? nvlink : 0, onFailed ? ecc : 0);
        }

        var events = new List<HealthEvent>();
        if (started is not null) events.AddRange(Signals(started.Cause, started.Gpu));
        if (down is not null && started is null) events.Add(new HealthEvent(HealthEventKind.Dcgm, down.Gpu, null, DcgmLevel.Fail, $"{down.Cause}: in repair"));
        if (down is null && repaired is not null) events.Add(new HealthEvent(HealthEventKind.Dcgm, repaired.Gpu, null, DcgmLevel.Pass, $"{repaired.Cause}: repaired"));
        return new HealthReport(n.Serial, seq, at, gpus, events);
    }

    /// <summary>
    /// The signals a node shows when an interruption of <paramref name="cause"/> starts (docs/agent.md): faulty GPU, Xid 79
    /// (fallen off the bus); HBM, Xid 48 (double-bit ECC) and 63 (row remapping); software, Xid 119 (GSP RPC timeout);
    /// network, Xid 74 (NVLink error); host maintenance, a DCGM warn for the node; other, a DCGM fail for the node. Each
    /// with a DCGM fail (warn for maintenance) that says the cause.
    /// </summary>
    public static IReadOnlyList<HealthEvent> Signals(string cause, int? gpu) => cause switch
    {
        "gpu" => [Xid(gpu, 79, "GPU has fallen off the bus"), Dcgm(gpu, DcgmLevel.Fail, "gpu: GPU lost")],
        "hbm" => [Xid(gpu, 48, "double-bit ECC error"), Xid(gpu, 63, "row remapping pending"), Dcgm(gpu, DcgmLevel.Fail, "hbm: uncorrectable memory error")],
        "software" => [Xid(gpu, 119, "GSP RPC timeout"), Dcgm(gpu, DcgmLevel.Fail, "software: driver error")],
        "network" => [Xid(gpu, 74, "NVLink error"), Dcgm(gpu, DcgmLevel.Fail, "network: NVLink down")],
        "host_maintenance" => [Dcgm(null, DcgmLevel.Warn, "host_maintenance: host maintenance")],
        _ => [Dcgm(null, DcgmLevel.Fail, $"{cause}: node failure")],
    };

    /// <summary>Whether a cause lands on one GPU (the signals name it) or on the whole node.</summary>
    public static bool OnGpu(string cause) => cause is "gpu" or "hbm" or "software" or "network";

    private static HealthEvent Xid(int? gpu, int code, string detail) => new(HealthEventKind.Xid, gpu ?? 0, code, null, detail);

    private static HealthEvent Dcgm(int? gpu, DcgmLevel level, string detail) => new(HealthEventKind.Dcgm, gpu, null, level, detail);

    private void Extend(DateTime until)
    {
        if (until <= _generatedUntil) return;
        while (_nextFailure < until)
        {
            var at = _nextFailure;
            var gpuIndex = (long)(_rng.NextDouble() * TotalGpus);
            var node = Array.BinarySearch(_gpuPrefix, gpuIndex);
            node = node >= 0 ? node : ~node - 1;
            if (node >= _nodes.Count) node = _nodes.Count - 1;
            while (_gpuPrefix[node + 1] == _gpuPrefix[node]) node++;
            var cause = _model.Causes[_rng.Pick(_causeWeights)];
            var gpu = (int)(gpuIndex - _gpuPrefix[node]);
            var hours = cause.RepairHours.Quantile(_rng.NextDouble());
            // A spare is swapped in within minutes, but the node itself stays down until repaired.
            var failure = new SimulatedFailure(node, at, cause.Name, OnGpu(cause.Name) ? gpu : null, at + TimeSpan.FromHours(Math.Max(hours, Interval.TotalHours)));
            // One interruption at a time per node: an arrival on a node already down is absorbed in it, so failures come
            // at one per GpuHoursBetweenFailures of GPU-hours in service.
            if (!_byNode.TryGetValue(node, out var list)) _byNode[node] = list = [];
            if (list.Count == 0 || list[^1].RepairedAt <= at)
            {
                list.Add(failure);
                _failures.Add(failure);
            }
            _nextFailure = at + Gap();
        }
        _generatedUntil = until;
    }

    private TimeSpan Gap()
    {
        var hours = -Math.Log(1 - _rng.NextDouble()) / FailuresPerHour;
        return TimeSpan.FromTicks((long)Math.Max(1, Math.Min(hours * TimeSpan.TicksPerHour, TimeSpan.MaxValue.Ticks / 4.0)));
    }

    private double Unit(int node, long tick, int salt) => (Hash(node, tick, salt) >> 11) * (1.0 / 9007199254740992.0);

    private ulong Hash(int node, long tick, int salt) => unchecked(Mix(node, tick, salt));

    private ulong Mix(int node, long tick, int salt)
    {
        unchecked
        {
            var z = _seed ^ ((ulong)node * 0x9E3779B97F4A7C15UL) ^ ((ulong)tick * 0xBF58476D1CE4E5B9UL) ^ ((ulong)salt * 0x94D049BB133111EBUL);
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }
    }
}
