using System.Diagnostics;
using System.Globalization;
using System.Text;
using Lessor.Storage.Store;

namespace Lessor.Bench.Api;

/// <summary>
/// A real `lessor serve` in its own process, on an ephemeral loopback port, with the production settings (rate limits
/// included): the HTTP benches measure what a user runs, and read the server's CPU from /proc apart from the clients'.
/// Disposing stops it (SIGTERM, then a kill) and deletes the SQLite files it was given to own.
/// </summary>
internal sealed class LessorServe : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _log;
    private readonly Task _drain;
    private readonly string? _ownedSqlite;

    private LessorServe(Process process, Uri url, Task drain, StringBuilder log, string? ownedSqlite, TimeSpan startWall, TimeSpan startCpu)
    {
        _process = process;
        Url = url;
        _drain = drain;
        _log = log;
        _ownedSqlite = ownedSqlite;
        StartWall = startWall;
        StartCpu = startCpu;
    }

    /// <summary>Where it listens (http://127.0.0.1:PORT).</summary>
    public Uri Url { get; }

    public int Pid => _process.Id;

    /// <summary>Wall time from process start to "listening".</summary>
    public TimeSpan StartWall { get; }

    /// <summary>The server's CPU time when it said "listening".</summary>
    public TimeSpan StartCpu { get; }

    /// <summary>CPU time (user + system) the server has used so far, from /proc/PID/stat.</summary>
    public TimeSpan Cpu() => Results.ProcessCpu(Pid);

    /// <summary>
    /// Starts `lessor serve --db STORE --port 0` from the bench's own output folder (the CLI is built with the bench).
    /// <paramref name="ownsSqliteFile"/>: delete the SQLite file and its -wal/-shm when the server is disposed.
    /// </summary>
    public static async Task<LessorServe> StartAsync(StoreLocation store, bool ownsSqliteFile, TimeSpan timeout, params string[] extraArgs)
    {
        var cli = Path.Combine(AppContext.BaseDirectory, "lessor");
        if (!File.Exists(cli)) throw new FileNotFoundException($"{cli} is missing: build bench/Lessor.Bench (it references src/Lessor.Cli)");
        var start = new ProcessStartInfo(cli) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        var db = store switch
        {
            StoreLocation.Sqlite s => s.Path,
            StoreLocation.Postgres p => p.ConnectionString,
            _ => throw new ArgumentOutOfRangeException(nameof(store)),
        };
        foreach (var a in new[] { "serve", "--db", db, "--port", "0" }.Concat(extraArgs)) start.ArgumentList.Add(a);
        var watch = Stopwatch.StartNew();
        var process = Process.Start(start) ?? throw new InvalidOperationException("lessor serve did not start");
        var log = new StringBuilder();
        _ = process.StandardOutput.ReadToEndAsync();
        Uri? url = null;
        using (var cts = new CancellationTokenSource(timeout))
        {
            try
            {
                while (await process.StandardError.ReadLineAsync(cts.Token) is { } line)
                {
                    log.AppendLine(line);
                    const string marker = "listening on ";
                    var at = line.IndexOf(marker, StringComparison.Ordinal);
                    if (at < 0) continue;
                    var rest = line[(at + marker.Length)..];
                    url = new Uri(rest.Split(' ')[0]);
                    break;
                }
            }
            catch (OperationCanceledException)
            {
            }
        }
        if (url is null)
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            throw new InvalidOperationException($"lessor serve did not say where it listens within {timeout.TotalSeconds:N0} s:\n{log}");
        }
        var startWall = watch.Elapsed;
        var startCpu = Results.ProcessCpu(process.Id);
        var drain = Task.Run(async () =>
        {
            while (await process.StandardError.ReadLineAsync() is { } line)
            {
                lock (log) log.AppendLine(line);
            }
        });
        return new LessorServe(process, url, drain, log, ownsSqliteFile && store is StoreLocation.Sqlite s2 ? s2.Path : null, startWall, startCpu);
    }

    /// <summary>The server's log so far (standard error), for a failure message.</summary>
    public string Log()
    {
        lock (_log) return _log.ToString();
    }

    /// <summary>Kills the server at once (SIGKILL: no shutdown, nothing flushed), as a crash would, and waits until it is gone.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            using (var kill = Process.Start("kill", ["-KILL", _process.Id.ToString(CultureInfo.InvariantCulture)])) await kill.WaitForExitAsync();
            await _process.WaitForExitAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            // SIGTERM: the host stops gracefully (the audit writer flushes, the store closes); a kill only if it hangs.
            using (var term = Process.Start("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)])) await term.WaitForExitAsync();
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            try
            {
                await _process.WaitForExitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
        }
        await _drain;
        _process.Dispose();
        if (_ownedSqlite is not null) DeleteSqlite(_ownedSqlite);
    }

    /// <summary>Deletes a SQLite database and its -wal/-shm/-journal files.</summary>
    public static void DeleteSqlite(string path)
    {
        foreach (var suffix in new[] { "", "-wal", "-shm", "-journal" })
        {
            if (File.Exists(path + suffix)) File.Delete(path + suffix);
        }
    }
}
