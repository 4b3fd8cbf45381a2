using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Lessor.Bench.Load;

/// <summary>What one open-loop run measured; the generator prints it as one JSON line ("result {...}").</summary>
public sealed record LoadSummary
{
    public required string Kind { get; init; }
    public required double OfferedPerSecond { get; init; }
    public required double Seconds { get; init; }

    /// <summary>Requests sent on the schedule (warm-up excluded).</summary>
    public required long Attempted { get; init; }

    /// <summary>Requests answered 2xx.</summary>
    public required long Succeeded { get; init; }

    /// <summary>Every outcome by HTTP status, plus "timeout" (no answer within the timeout) and "error" (connection failed).</summary>
    public required Dictionary<string, long> Statuses { get; init; }

    /// <summary>Latency of the 2xx answers, from the intended send time (the schedule), in milliseconds.</summary>
    public required double P50Ms { get; init; }
    public required double P99Ms { get; init; }
    public required double P999Ms { get; init; }
    public required double MaxMs { get; init; }

    /// <summary>How late the generator itself sent (actual send minus intended), p50/p99/max, in milliseconds: its own share of the latency.</summary>
    public required double SendLagP50Ms { get; init; }
    public required double SendLagP99Ms { get; init; }
    public required double SendLagMaxMs { get; init; }

    /// <summary>From the first intended send to the last answer.</summary>
    public required double WallMs { get; init; }

    /// <summary>The server process's CPU time over the same window, from /proc/PID/stat.</summary>
    public required double ServerCpuMs { get; init; }

    /// <summary>The generator's own CPU time over the window.</summary>
    public required double GeneratorCpuMs { get; init; }

    /// <summary>Releases the claim runs sent (each claim beyond the held count releases the oldest), and how many answered 204.</summary>
    public long ReleasesAttempted { get; init; }
    public long ReleasesSucceeded { get; init; }
    public double ReleaseP50Ms { get; init; }
    public double ReleaseP99Ms { get; init; }

    public static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };
}

/// <summary>
/// `Lessor.Bench load`: an open-loop HTTP load generator, run in its own process (never in the server's, nor in the
/// orchestrating bench's). Requests leave on a fixed schedule at the offered rate whether or not earlier ones were
/// answered, and each latency is measured from the request's <em>intended</em> send time, so a stalled server shows up
/// in the percentiles instead of slowing the generator down (no coordinated omission).
/// Arguments: --url U --kind health|check|claim --rate R --seconds S --keys FILE [--bodies FILE] --server-pid P
/// [--warmup S] [--hold N] [--timeout S]. Keys are used round robin (one key per simulated client, so the per-key rate
/// limit applies to rate / keys). A claim run releases its oldest claim each time it holds more than --hold.
/// </summary>
internal static partial class OpenLoop
{
    public static async Task<int> RunAsync(string[] args)
    {
        string Arg(string name, string? fallback = null)
        {
            var i = Array.IndexOf(args, name);
            return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback ?? throw new ArgumentException($"load: {name} is required");
        }
        double Num(string name, string? fallback = null) => double.Parse(Arg(name, fallback), CultureInfo.InvariantCulture);
        var kind = Arg("--kind");
        if (kind is not ("health" or "check" or "claim")) throw new ArgumentException($"load: --kind {kind}: health, check or claim");
        var keys = File.ReadAllLines(Arg("--keys")).Where(l => l.Length > 0).ToArray();
        var bodies = kind == "health" ? [] : File.ReadAllLines(Arg("--bodies")).Where(l => l.Length > 0).Select(Encoding.UTF8.GetBytes).ToArray();
        var run = new Run(new Uri(Arg("--url")), kind, keys, bodies, (int)Num("--hold", "1000"), TimeSpan.FromSeconds(Num("--timeout", "10")));
        var rate = Num("--rate");
        var serverPid = (int)Num("--server-pid");
        // The generator's own JIT and connections warm up at the same rate first; nothing of the warm-up is reported.
        var warm = Num("--warmup", "2");
        if (warm > 0) await run.ScheduleAsync(rate, warm, serverPid);
        var summary = await run.ScheduleAsync(rate, Num("--seconds"), serverPid);
        await run.ReleaseAllAsync();
        Console.WriteLine("result " + JsonSerializer.Serialize(summary, LoadSummary.Json));
        return 0;
    }

    /// <summary>
    /// Starts the generator as a child process (the bench's own executable, mode `load`) and returns its summary.
    /// </summary>
    public static async Task<LoadSummary> RunChildAsync(Uri url, string kind, double rate, double seconds, string keysFile, string? bodiesFile, int serverPid,
        double warmupSeconds = 2, int hold = 1000)
    {
        var start = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(Environment.ProcessPath!) == "dotnet") start.ArgumentList.Add(typeof(OpenLoop).Assembly.Location);
        var a = new List<string>
        {
            "load", "--url", url.ToString(), "--kind", kind, "--rate", rate.ToString(CultureInfo.InvariantCulture),
            "--seconds", seconds.ToString(CultureInfo.InvariantCulture), "--keys", keysFile, "--server-pid", serverPid.ToString(CultureInfo.InvariantCulture),
            "--warmup", warmupSeconds.ToString(CultureInfo.InvariantCulture), "--hold", hold.ToString(CultureInfo.InvariantCulture),
        };
        if (bodiesFile is not null) a.AddRange(["--bodies", bodiesFile]);
        foreach (var x in a) start.ArgumentList.Add(x);
        using var process = Process.Start(start) ?? throw new InvalidOperationException("the load generator did not start");
        var errors = process.StandardError.ReadToEndAsync();
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        var line = output.Split('\n').LastOrDefault(l => l.StartsWith("result ", StringComparison.Ordinal));
        if (process.ExitCode != 0 || line is null)
            throw new InvalidOperationException($"load generator exited {process.ExitCode}:\n{output}\n{await errors}");
        return JsonSerializer.Deserialize<LoadSummary>(line["result ".Length..], LoadSummary.Json)!;
    }

    // Sleeps below a millisecond without spinning (Thread.Sleep's grain is 1 ms; a spinning sender would take a core
    // from the server on a 2-core machine).
    [LibraryImport("libc", EntryPoint = "usleep")]
    private static partial int USleep(uint microseconds);

    private sealed class Run(Uri url, string kind, string[] keys, byte[][] bodies, int hold, TimeSpan timeout)
    {
        private const int TimedOut = -1;
        private const int Failed = -2;
        private static readonly MediaTypeHeaderValue JsonType = new("application/json");
        private readonly HttpClient _http = new(new SocketsHttpHandler
        {
            // Open loop: a request never waits for a free connection behind a slow one (that would hide the stall).
            MaxConnectionsPerServer = 4096,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(10),
            ConnectTimeout = TimeSpan.FromSeconds(5),
            UseCookies = false,
            AllowAutoRedirect = false,
        })
        {
            BaseAddress = url,
            Timeout = Timeout.InfiniteTimeSpan,
        };
        private readonly AuthenticationHeaderValue[] _auth = keys.Select(k => new AuthenticationHeaderValue("Bearer", k)).ToArray();
        private readonly ConcurrentQueue<string> _live = new();
        private readonly string _runId = Guid.NewGuid().ToString("N")[..12];
        private int _liveCount;
        private long _sequence;

        public async Task<LoadSummary> ScheduleAsync(double rate, double seconds, int serverPid)
        {
            var n = (int)Math.Round(rate * seconds);
            var latency = new long[n];
            var lag = new long[n];
            var status = new int[n];
            var pending = new Task[n];
            var releases = new ConcurrentBag<Task<(int Status, long Ticks)>>();
            var freq = Stopwatch.Frequency;
            var interval = freq / rate;
            var t0 = Stopwatch.GetTimestamp() + freq / 20;
            var serverCpu0 = Results.ProcessCpu(serverPid);
            var selfCpu0 = Results.ProcessCpu();
            var sender = new Thread(() =>
            {
                for (var i = 0; i < n; i++)
                {
                    var due = t0 + (long)(i * interval);
                    long ahead;
                    while ((ahead = due - Stopwatch.GetTimestamp()) > 0) USleep((uint)Math.Clamp(ahead * 1_000_000 / freq, 50, 1000));
                    lag[i] = Stopwatch.GetTimestamp() - due;
                    pending[i] = SendAsync(i, due, latency, status, releases);
                }
            })
            { IsBackground = true, Priority = ThreadPriority.AboveNormal, Name = "open-loop sender" };
            sender.Start();
            await Task.Run(sender.Join);
            await Task.WhenAll(pending);
            var released = releases.ToArray();
            await Task.WhenAll(released);
            var end = Stopwatch.GetTimestamp();
            var serverCpu = Results.ProcessCpu(serverPid) - serverCpu0;
            var selfCpu = Results.ProcessCpu() - selfCpu0;

            var statuses = new Dictionary<string, long>();
            var ok = new List<long>(n);
            for (var i = 0; i < n; i++)
            {
                var key = status[i] switch { TimedOut => "timeout", Failed => "error", var s => s.ToString(CultureInfo.InvariantCulture) };
                statuses[key] = statuses.GetValueOrDefault(key) + 1;
                if (status[i] is >= 200 and < 300) ok.Add(latency[i]);
            }
            var okArray = ok.ToArray();
            Array.Sort(okArray);
            Array.Sort(lag);
            var releaseTicks = released.Where(r => r.Result.Status == 204).Select(r => r.Result.Ticks).Order().ToArray();
            double Ms(long[] sorted, double q) => sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(q * sorted.Length) - 1)] * 1e3 / freq;
            return new LoadSummary
            {
                Kind = kind, OfferedPerSecond = rate, Seconds = seconds, Attempted = n, Succeeded = okArray.Length, Statuses = statuses,
                P50Ms = Ms(okArray, 0.5), P99Ms = Ms(okArray, 0.99), P999Ms = Ms(okArray, 0.999), MaxMs = okArray.Length == 0 ? double.NaN : okArray[^1] * 1e3 / freq,
                SendLagP50Ms = Ms(lag, 0.5), SendLagP99Ms = Ms(lag, 0.99), SendLagMaxMs = n == 0 ? 0 : lag[^1] * 1e3 / freq,
                WallMs = (end - t0) * 1e3 / freq, ServerCpuMs = serverCpu.TotalMilliseconds, GeneratorCpuMs = selfCpu.TotalMilliseconds,
                ReleasesAttempted = released.Length, ReleasesSucceeded = releaseTicks.Length,
                ReleaseP50Ms = Ms(releaseTicks, 0.5), ReleaseP99Ms = Ms(releaseTicks, 0.99),
            };
        }

        private HttpRequestMessage Request(int i)
        {
            HttpRequestMessage request;
            if (kind == "health") request = new HttpRequestMessage(HttpMethod.Get, "/health");
            else
            {
                request = new HttpRequestMessage(HttpMethod.Post, kind == "check" ? "/api/v1/deals/check" : "/api/v1/claims")
                {
                    Content = new ByteArrayContent(bodies[i % bodies.Length]) { Headers = { ContentType = JsonType } },
                };
                if (kind == "claim") request.Headers.Add("Idempotency-Key", $"load-{_runId}-{Interlocked.Increment(ref _sequence)}");
            }
            request.Headers.Authorization = _auth[i % _auth.Length];
            return request;
        }

        private async Task SendAsync(int i, long due, long[] latency, int[] status, ConcurrentBag<Task<(int Status, long Ticks)>> releases)
        {
            using var request = Request(i);
            using var cts = new CancellationTokenSource(timeout);
            try
            {
                using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, cts.Token);
                var body = await response.Content.ReadAsByteArrayAsync(cts.Token);
                latency[i] = Stopwatch.GetTimestamp() - due;
                status[i] = (int)response.StatusCode;
                if (kind == "claim" && status[i] == 201)
                {
                    _live.Enqueue(ClaimId(body));
                    // Hold a steady number of claims: each one beyond it releases the oldest (the release is load too).
                    if (Interlocked.Increment(ref _liveCount) > hold && _live.TryDequeue(out var oldest))
                    {
                        Interlocked.Decrement(ref _liveCount);
                        releases.Add(ReleaseAsync(oldest, i));
                    }
                }
            }
            catch (OperationCanceledException)
            {
                status[i] = TimedOut;
            }
            catch (HttpRequestException)
            {
                status[i] = Failed;
            }
        }

        private async Task<(int Status, long Ticks)> ReleaseAsync(string id, int i)
        {
            var t = Stopwatch.GetTimestamp();
            using var request = new HttpRequestMessage(HttpMethod.Delete, $"/api/v1/claims/{id}");
            request.Headers.Authorization = _auth[i % _auth.Length];
            using var cts = new CancellationTokenSource(timeout);
            try
            {
                using var response = await _http.SendAsync(request, cts.Token);
                return ((int)response.StatusCode, Stopwatch.GetTimestamp() - t);
            }
            catch (OperationCanceledException)
            {
                return (TimedOut, 0);
            }
            catch (HttpRequestException)
            {
                return (Failed, 0);
            }
        }

        /// <summary>Releases what the run still holds, so the next run starts from the same fleet (not measured).</summary>
        public async Task ReleaseAllAsync()
        {
            var ids = new List<string>();
            while (_live.TryDequeue(out var id)) ids.Add(id);
            _liveCount = 0;
            await Parallel.ForEachAsync(ids, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (id, _) => await ReleaseAsync(id, 0));
        }

        private static string ClaimId(byte[] body)
        {
            using var json = JsonDocument.Parse(body);
            return json.RootElement.GetProperty("id").GetString()!;
        }
    }
}
