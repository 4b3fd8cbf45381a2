using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using Lessor.Core.Fleet;
using Lessor.Core.Risk;
using Lessor.Server.Fleet;
using Lessor.Storage.Scenarios;
using NATS.Client.Core;
using NATS.Client.JetStream;

namespace Lessor.Cli.Commands;

/// <summary>
/// `lessor agent`: a node's health agent (nvidia-smi readings every interval, published to NATS JetStream or posted to
/// the HTTP batch endpoint), or with --simulate a whole fleet of them replaying a seeded failure model. docs/agent.md.
/// </summary>
internal static class AgentCommand
{
    public static Command Build(CliIo io)
    {
        var nats = new Option<string?>("--nats") { Description = "Publish to this NATS JetStream server (nats://HOST:PORT), subject lessor.health.<site>" };
        var url = new Option<string?>("--url") { Description = "Post batches to this Lessor server instead (http://HOST:PORT; POST /api/v1/fleet/reports)" };
        var key = new Option<string?>("--key") { Description = "API key for --url (operator or admin)" };
        var site = new Option<string?>("--site") { Description = "The site in the subject (default: the node's site from --scenario, else 'sim' when simulating, else 'default')" };
        var node = new Option<string?>("--node") { Description = "This node's serial (real mode; default: the host name)" };
        var state = new Option<string>("--state") { Description = "File keeping the last sequence used, so a restart never reuses one", DefaultValueFactory = _ => "lessor-agent-state.json" };
        var interval = new Option<double>("--interval") { Description = "Seconds between readings (simulated seconds with --simulate)", DefaultValueFactory = _ => 10 };
        var count = new Option<long>("--count") { Description = "Stop after this many rounds of readings (0: run until stopped)", DefaultValueFactory = _ => 0 };
        var duration = new Option<double>("--duration") { Description = "Stop after this many wall-clock seconds (0: no limit)", DefaultValueFactory = _ => 0 };
        var smi = new Option<string>("--nvidia-smi") { Description = "The nvidia-smi program (real mode)", DefaultValueFactory = _ => "nvidia-smi" };
        var simulate = new Option<bool>("--simulate") { Description = "Simulate a fleet (--nodes or --scenario) instead of reading this node's GPUs" };
        var nodes = new Option<int>("--nodes") { Description = "Simulated fleet: this many synthetic nodes", DefaultValueFactory = _ => 0 };
        var gpusPerNode = new Option<int>("--gpus-per-node") { Description = "GPUs per synthetic node", DefaultValueFactory = _ => 8 };
        var scenario = new Option<FileInfo?>("--scenario") { Description = "Simulated fleet: the nodes of this scenario's accepted and delivered deliveries (stable serials)" };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the simulated failures", DefaultValueFactory = _ => 1 };
        var speedup = new Option<double>("--speedup") { Description = "Simulated seconds per wall-clock second", DefaultValueFactory = _ => 1 };
        var rate = new Option<double>("--rate") { Description = "Publish this many messages per second on an open-loop schedule (default: nodes / interval x speedup)", DefaultValueFactory = _ => 0 };
        var start = CommonOptions.Date("--start", "Simulated instant of the first round (default: now, or earlier by the simulated span when --speedup > 1)");
        var json = CommonOptions.Json();
        var exclude = new Option<FileInfo?>("--exclude") { Description = "Simulated fleet: leave out the nodes whose serials this file lists, one per line (they report nothing)" };
        var inFlight = new Option<int>("--max-in-flight") { Description = "Publishes awaiting their acknowledgement at most (the schedule falls behind beyond it)", DefaultValueFactory = _ => 4096 };

        var cmd = new Command("agent", "Report GPU health to Lessor: this node's (nvidia-smi) or a simulated fleet's")
        {
            nats, url, key, site, node, state, interval, count, duration, smi, simulate, nodes, gpusPerNode, scenario, seed, speedup, rate, start, inFlight, exclude, json,
        };
        interval.Validators.Add(v => { var x = v.GetValueOrDefault<double>(); if (!(x > 0) || x > 86_400) v.AddError($"--interval: {x} is not a number of seconds from above 0 to 86400."); });
        count.Validators.Add(v => { if (v.GetValueOrDefault<long>() < 0) v.AddError("--count: must be 0 or more."); });
        duration.Validators.Add(v => { var x = v.GetValueOrDefault<double>(); if (!(x >= 0) || !double.IsFinite(x)) v.AddError("--duration: must be 0 or more seconds."); });
        speedup.Validators.Add(v => { var x = v.GetValueOrDefault<double>(); if (!(x > 0) || !double.IsFinite(x)) v.AddError("--speedup: must be above 0."); });
        rate.Validators.Add(v => { var x = v.GetValueOrDefault<double>(); if (!(x >= 0) || !double.IsFinite(x)) v.AddError("--rate: must be 0 or more messages per second."); });
        inFlight.Validators.Add(v => { if (v.GetValueOrDefault<int>() < 1) v.AddError("--max-in-flight: must be 1 or more."); });
        nodes.Validators.Add(v => { if (v.GetValueOrDefault<int>() < 0) v.AddError("--nodes: must be 1 or more."); });
        gpusPerNode.Validators.Add(v => { var x = v.GetValueOrDefault<int>(); if (x is < 1 or > HealthReportJson.MaxGpus) v.AddError($"--gpus-per-node: {x} is not 1 to {HealthReportJson.MaxGpus}."); });
        cmd.Validators.Add(r =>
        {
            var n = r.GetValue(nats);
            var u = r.GetValue(url);
            if ((n is null) == (u is null)) r.AddError("give exactly one of --nats (NATS JetStream) or --url (HTTP).");
            if (n is not null && (!Uri.TryCreate(n, UriKind.Absolute, out var nu) || nu.Scheme != "nats" || nu.Port <= 0))
                r.AddError($"--nats: '{n}' is not a NATS URL such as nats://127.0.0.1:4222.");
            if (u is not null && (!Uri.TryCreate(u, UriKind.Absolute, out var hu) || hu.Scheme is not ("http" or "https")))
                r.AddError($"--url: '{u}' is not an http(s) URL.");
            if (u is not null && string.IsNullOrEmpty(r.GetValue(key))) r.AddError("--key: required with --url (an operator or admin API key).");
            if (r.GetValue(site) is { } st && (st.Length == 0 || st == "dead" || st.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))))
                r.AddError($"--site: '{st}' is not a site name (letters, digits, - and _; 'dead' is the dead-letter subject).");
            if (r.GetValue(simulate))
            {
                var hasNodes = r.GetValue(nodes) > 0;
                var hasScenario = r.GetValue(scenario) is not null;
                if (hasNodes == hasScenario) r.AddError("--simulate: give exactly one of --nodes N or --scenario FILE.");
            }
            else if (r.GetValue(nodes) > 0 || r.GetValue(scenario) is not null || r.GetValue(exclude) is not null)
            {
                r.AddError("--nodes, --scenario and --exclude are for --simulate.");
            }
        });

        cmd.SetAction(async (r, ct) =>
        {
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
            if (r.GetValue(duration) is > 0 and var d) cts.CancelAfter(TimeSpan.FromSeconds(d));
            await using var publisher = r.GetValue(nats) is { } n ? (IPublisher)await NatsPublisher.ConnectAsync(n, r.GetValue(inFlight), cts.Token)
                : new HttpPublisher(new Uri(r.GetValue(url)!), r.GetValue(key)!);
            var statePath = Path.GetFullPath(r.GetValue(state)!);
            var stats = new AgentStats();
            var started = Stopwatch.StartNew();
            int exit;
            if (r.GetValue(simulate))
            {
                IReadOnlyList<(SimulatedNode Node, string Site)> fleet;
                if (r.GetValue(scenario) is { } file)
                {
                    var parsed = ScenarioFile.Load(file.FullName);
                    if (!parsed.IsValid)
                    {
                        foreach (var e in parsed.Errors) io.Err.WriteLine($"error: --scenario: {e}");
                        return ExitCodes.BadInput;
                    }
                    // The nodes that exist: deliveries accepted or delivered (the fleet desk registers the same ones).
                    fleet = NodeInventory.Nodes(parsed.Scenario!, new HashSet<Lessor.Core.Model.DeliveryStatus> { Lessor.Core.Model.DeliveryStatus.Accepted, Lessor.Core.Model.DeliveryStatus.Delivered }).Select(x => (new SimulatedNode(x.Serial, x.Gpus), r.GetValue(site) ?? x.Site.Value)).ToArray();
                    if (fleet.Count == 0)
                    {
                        io.Err.WriteLine($"error: --scenario: {file.FullName} brings no nodes (no deliveries).");
                        return ExitCodes.BadInput;
                    }
                }
                else
                {
                    var s = r.GetValue(site) ?? "sim";
                    var g = r.GetValue(gpusPerNode);
                    fleet = Enumerable.Range(0, r.GetValue(nodes)).Select(i => (new SimulatedNode($"sim-{i:D6}", g), s)).ToArray();
                }
                if (r.GetValue(exclude) is { } excludeFile)
                {
                    if (!excludeFile.Exists)
                    {
                        io.Err.WriteLine($"error: --exclude: {excludeFile.FullName} does not exist.");
                        return ExitCodes.BadInput;
                    }
                    var known = fleet.Select(f => f.Node.Serial).ToHashSet(StringComparer.Ordinal);
                    var left = new HashSet<string>(StringComparer.Ordinal);
                    var lineNo = 0;
                    foreach (var raw in await File.ReadAllLinesAsync(excludeFile.FullName, ct))
                    {
                        lineNo++;
                        var serial = raw.Trim();
                        if (serial.Length == 0) continue;
                        if (!known.Contains(serial))
                        {
                            io.Err.WriteLine($"error: --exclude: line {lineNo}: '{serial}' is not a node of the simulated fleet.");
                            return ExitCodes.BadInput;
                        }
                        left.Add(serial);
                    }
                    fleet = fleet.Where(f => !left.Contains(f.Node.Serial)).ToArray();
                    if (fleet.Count == 0)
                    {
                        io.Err.WriteLine("error: --exclude: leaves no node to simulate.");
                        return ExitCodes.BadInput;
                    }
                }
                exit = await SimulateAsync(io, publisher, fleet, statePath, r.GetValue(seed), TimeSpan.FromSeconds(r.GetValue(interval)), r.GetValue(speedup),
                    r.GetValue(rate), r.GetValue(count), r.GetValue(duration), r.GetValue(start), stats, cts.Token);
            }
            else
            {
                exit = await RealAsync(io, publisher, r.GetValue(node) ?? Environment.MachineName, r.GetValue(site) ?? "default", r.GetValue(smi)!, statePath,
                    TimeSpan.FromSeconds(r.GetValue(interval)), r.GetValue(count), stats, cts.Token);
            }
            await publisher.DrainAsync(stats);
            stats.WallSeconds = started.Elapsed.TotalSeconds;
            if (r.GetValue(json)) io.WriteJson(stats);
            else io.Out.WriteLine($"{stats.Published:N0} of {stats.Attempted:N0} reports published ({stats.Failed:N0} failed) in {stats.Rounds:N0} rounds, seq {stats.FirstSeq}-{stats.LastSeq}, {stats.WallSeconds:F1} s"
                + (stats.LastError is { } le ? $"; last error: {le}" : ""));
            return stats.Failed > 0 && exit == ExitCodes.Ok ? ExitCodes.Failure : exit;
        });
        return cmd;
    }

    /// <summary>What the agent did, printed as JSON when it stops (the bench's loss check reads it).</summary>
    internal sealed class AgentStats
    {
        public long Attempted { get; set; }
        public long Published { get => Interlocked.Read(ref _published); set => _published = value; }
        public long Failed { get => Interlocked.Read(ref _failed); set => _failed = value; }
        public long Rounds { get; set; }
        public long Failures { get; set; }
        public long Nodes { get; set; }
        public long FirstSeq { get; set; }
        public long LastSeq { get; set; }
        public double TargetRate { get; set; }
        public double WallSeconds { get; set; }
        public long BehindMax { get; set; }
        public string? LastError { get; set; }
        internal long _published;
        internal long _failed;
    }

    private static async Task<int> SimulateAsync(CliIo io, IPublisher publisher, IReadOnlyList<(SimulatedNode Node, string Site)> fleet, string statePath,
        ulong seed, TimeSpan interval, double speedup, double rate, long rounds, double duration, DateTime? start, AgentStats stats, CancellationToken ct)
    {
        var nodes = fleet.Count;
        var target = rate > 0 ? rate : nodes / interval.TotalSeconds * speedup;
        var now = DateTime.UtcNow;
        now = new DateTime(now.Ticks - now.Ticks % TimeSpan.TicksPerSecond, DateTimeKind.Utc);
        // Simulated time runs ahead of the clock when sped up: start early enough that the last round is not in the future.
        var simulatedSpan = duration > 0 ? TimeSpan.FromSeconds(duration * target / nodes * interval.TotalSeconds) : TimeSpan.Zero;
        var t0 = start ?? (simulatedSpan > TimeSpan.FromSeconds(duration) ? now - simulatedSpan : now);
        var sim = new HealthSimulation(fleet.Select(f => f.Node).ToArray(), new FailureModel(), seed, t0, interval);
        var subjects = fleet.Select(f => $"lessor.health.{f.Site}").ToArray();
        var seqBase = AgentState.Load(statePath);
        stats.Nodes = nodes;
        stats.TargetRate = target;
        stats.FirstSeq = seqBase + 1;
        io.Err.WriteLine($"lessor agent: simulating {nodes} nodes ({sim.TotalGpus} GPUs, {sim.FailuresPerHour:F2} failures/h) from {t0:O}, {target:F0} messages/s, first seq {seqBase + 1}");

        var clock = Stopwatch.StartNew();
        long i = 0;
        try
        {
            for (long tick = 0; rounds == 0 || tick < rounds; tick++)
            {
                var seq = seqBase + tick + 1;
                // Write-ahead: the sequence is on disk before any report carries it.
                AgentState.Save(statePath, seq);
                stats.LastSeq = seq;
                stats.Rounds = tick + 1;
                for (var n = 0; n < nodes; n++, i++)
                {
                    var due = i / target;
                    var wait = due - clock.Elapsed.TotalSeconds;
                    if (wait > 0.001) await Task.Delay(TimeSpan.FromSeconds(wait), ct);
                    else if (-wait * target > stats.BehindMax) stats.BehindMax = (long)(-wait * target);
                    // Counted as attempted by the publisher once it is sent (a publish the duration cut before that is not).
                    await publisher.PublishAsync(n, subjects[n], HealthReportJson.Write(sim.Report(n, tick, seq)), stats, ct);
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // --duration reached or stopped: what was attempted is counted.
        }
        stats.Failures = sim.FailuresUntil(sim.At(stats.Rounds)).Count;
        return ExitCodes.Ok;
    }

    private static async Task<int> RealAsync(CliIo io, IPublisher publisher, string node, string site, string smi, string statePath, TimeSpan interval,
        long rounds, AgentStats stats, CancellationToken ct)
    {
        var seq = AgentState.Load(statePath);
        stats.Nodes = 1;
        stats.FirstSeq = seq + 1;
        var subject = $"lessor.health.{site}";
        try
        {
            for (long round = 0; rounds == 0 || round < rounds; round++)
            {
                var next = DateTime.UtcNow;
                var text = await RunAsync(smi, NvidiaSmiCsv.QueryArguments, ct);
                stats.Rounds++;
                if (text.Error is { } failure)
                {
                    stats.LastError = failure;
                    io.Err.WriteLine($"lessor agent: {failure}");
                }
                else if (!NvidiaSmiCsv.TryParse(text.Output!, out var readings, out var error))
                {
                    stats.LastError = $"nvidia-smi output: {error}";
                    io.Err.WriteLine($"lessor agent: nvidia-smi output: {error}");
                }
                else
                {
                    seq++;
                    AgentState.Save(statePath, seq);
                    stats.LastSeq = seq;
                    var report = new HealthReport(node, seq, DateTime.UtcNow, readings, []);
                    await publisher.PublishAsync(0, subject, HealthReportJson.Write(report), stats, ct);
                }
                var wait = next + interval - DateTime.UtcNow;
                if (rounds != 0 && round + 1 >= rounds) break;
                if (wait > TimeSpan.Zero) await Task.Delay(wait, ct);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
        return stats.Attempted == 0 && stats.LastError is not null ? ExitCodes.Failure : ExitCodes.Ok;
    }

    private static async Task<(string? Output, string? Error)> RunAsync(string program, string arguments, CancellationToken ct)
    {
        try
        {
            using var p = Process.Start(new ProcessStartInfo(program, arguments)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            })!;
            var output = p.StandardOutput.ReadToEndAsync(ct);
            var err = p.StandardError.ReadToEndAsync(ct);
            await p.WaitForExitAsync(ct);
            return p.ExitCode == 0 ? (await output, null) : (null, $"{program} exited {p.ExitCode}: {(await err).Trim()} {(await output).Trim()}".Trim());
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return (null, $"cannot run {program}: {e.Message}");
        }
    }

    /// <summary>The last sequence number used, in a small JSON file written atomically (temp file, then rename).</summary>
    internal static class AgentState
    {
        public static long Load(string path)
        {
            if (!File.Exists(path)) return 0;
            using var doc = JsonDocument.Parse(File.ReadAllText(path));
            return doc.RootElement.TryGetProperty("seq", out var s) && s.TryGetInt64(out var v) && v >= 0 ? v
                : throw new InvalidDataException($"{path}: not an agent state file (expected {{\"seq\": N}}).");
        }

        public static void Save(string path, long seq)
        {
            var temp = path + ".tmp";
            File.WriteAllText(temp, $"{{\"seq\": {seq.ToString(CultureInfo.InvariantCulture)}}}\n");
            File.Move(temp, path, overwrite: true);
        }
    }

    private interface IPublisher : IAsyncDisposable
    {
        /// <summary>Sends one report; reports of one <paramref name="node"/> (an index) reach the server in the order sent.</summary>
        ValueTask PublishAsync(int node, string subject, byte[] body, AgentStats stats, CancellationToken ct);

        Task DrainAsync(AgentStats stats);
    }

    /// <summary>JetStream publishes, each acknowledged by the server; at most a fixed number await their ack at once.</summary>
    private sealed class NatsPublisher(NatsConnection connection, int maxInFlight) : IPublisher
    {
        private readonly NatsJSContext _js = new(connection);
        private readonly SemaphoreSlim _slots = new(maxInFlight, maxInFlight);
        private readonly int _max = maxInFlight;

        public static async Task<NatsPublisher> ConnectAsync(string url, int maxInFlight, CancellationToken ct)
        {
            var connection = new NatsConnection(new NatsOpts { Url = url, Name = "lessor-agent", SubPendingChannelCapacity = 65536 });
            await connection.ConnectAsync();
            // The server's consumer creates the stream too; whoever comes first creates it, with the same settings.
            var js = new NatsJSContext(connection);
            try
            {
                await js.GetStreamAsync("LESSOR_HEALTH", cancellationToken: ct);
            }
            catch (NatsJSApiException e) when (e.Error.Code == 404)
            {
                await NatsHealthConsumer.EnsureStreamAsync(js, new NatsIngestOptions { Url = url }, ct);
            }
            return new NatsPublisher(connection, maxInFlight);
        }

        private readonly Dictionary<int, Task> _lastOfNode = [];

        public async ValueTask PublishAsync(int node, string subject, byte[] body, AgentStats stats, CancellationToken ct)
        {
            // Publishes run concurrently (each awaits its ack), so two of one node could overtake each other and the sink
            // would answer the older one Duplicate: a node's report waits for its previous one (sent an interval ago).
            if (_lastOfNode.TryGetValue(node, out var previous) && !previous.IsCompleted) await previous.WaitAsync(ct);
            await _slots.WaitAsync(ct);
            stats.Attempted++;
            _lastOfNode[node] = Task.Run(async () =>
            {
                try
                {
                    var ack = await _js.PublishAsync(subject, body, cancellationToken: CancellationToken.None);
                    ack.EnsureSuccess();
                    Interlocked.Increment(ref stats._published);
                }
                catch (Exception e) when (e is NatsException or TimeoutException or OperationCanceledException)
                {
                    Interlocked.Increment(ref stats._failed);
                    stats.LastError = e.Message;
                }
                finally
                {
                    _slots.Release();
                }
            }, CancellationToken.None);
        }

        public async Task DrainAsync(AgentStats stats)
        {
            for (var i = 0; i < _max; i++) await _slots.WaitAsync();
            _slots.Release(_max);
        }

        public async ValueTask DisposeAsync()
        {
            _slots.Dispose();
            await connection.DisposeAsync();
        }
    }

    /// <summary>POSTs each report as a one-item batch to /api/v1/fleet/reports.</summary>
    private sealed class HttpPublisher : IPublisher
    {
        private readonly HttpClient _http;

        public HttpPublisher(Uri baseAddress, string key)
        {
            _http = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30) };
            _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }

        public async ValueTask PublishAsync(int node, string subject, byte[] body, AgentStats stats, CancellationToken ct)
        {
            var batch = new byte[body.Length + 2];
            batch[0] = (byte)'[';
            body.CopyTo(batch, 1);
            batch[^1] = (byte)']';
            using var content = new ByteArrayContent(batch);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            stats.Attempted++;
            try
            {
                using var response = await _http.PostAsync(new Uri("/api/v1/fleet/reports", UriKind.Relative), content, ct);
                if (response.IsSuccessStatusCode) Interlocked.Increment(ref stats._published);
                else
                {
                    Interlocked.Increment(ref stats._failed);
                    stats.LastError = $"POST /api/v1/fleet/reports answered {(int)response.StatusCode}";
                }
            }
            catch (HttpRequestException e)
            {
                Interlocked.Increment(ref stats._failed);
                stats.LastError = e.Message;
            }
        }

        public Task DrainAsync(AgentStats stats) => Task.CompletedTask;

        public ValueTask DisposeAsync()
        {
            _http.Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
