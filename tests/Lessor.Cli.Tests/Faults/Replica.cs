using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Lessor.Cli.Tests.Faults;

/// <summary>One `lessor serve` process (the real CLI binary beside this assembly) on a fixed loopback port, that can be killed with SIGKILL and started again.</summary>
internal sealed class Replica : IAsyncDisposable
{
    private readonly string _db;
    private readonly string[] _prefix;
    private readonly StringBuilder _log = new();
    private Process? _process;

    /// <param name="prefix">A command to run `lessor` under (e.g. `ip netns exec NAME`), or empty.</param>
    public Replica(string name, string db, int port, string? host = null, params string[] prefix)
    {
        Name = name;
        _db = db;
        Port = port;
        Host = host;
        _prefix = prefix;
    }

    public string Name { get; }
    public int Port { get; }

    /// <summary>The address it binds (--host), or null for the default 127.0.0.1.</summary>
    public string? Host { get; }

    public bool Running => _process is { HasExited: false };

    /// <summary>Started and listening (until killed).</summary>
    public bool Ready => Running && _ready;

    private volatile bool _ready;

    public static string Cli => Path.Combine(AppContext.BaseDirectory, "lessor");

    /// <summary>Starts it and waits until it says where it listens.</summary>
    public async Task StartAsync(TimeSpan timeout)
    {
        if (!File.Exists(Cli)) throw new FileNotFoundException($"{Cli} is missing: the test project references src/Lessor.Cli, which builds it");
        var start = new ProcessStartInfo(_prefix.Length > 0 ? _prefix[0] : Cli) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in _prefix.Skip(1)) start.ArgumentList.Add(a);
        if (_prefix.Length > 0) start.ArgumentList.Add(Cli);
        foreach (var a in new[] { "serve", "--db", _db, "--port", Port.ToString(CultureInfo.InvariantCulture) }) start.ArgumentList.Add(a);
        if (Host is not null)
        {
            start.ArgumentList.Add("--host");
            start.ArgumentList.Add(Host);
        }
        var process = Process.Start(start) ?? throw new InvalidOperationException($"{Name}: lessor serve did not start");
        _process = process;
        _ = process.StandardOutput.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            while (await process.StandardError.ReadLineAsync(cts.Token) is { } line)
            {
                lock (_log) _log.AppendLine(line);
                if (line.Contains("listening on ", StringComparison.Ordinal))
                {
                    _ready = true;
                    _ = Task.Run(async () =>
                    {
                        while (await process.StandardError.ReadLineAsync() is { } more)
                        {
                            lock (_log) _log.AppendLine(more);
                        }
                    });
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        throw new InvalidOperationException($"{Name}: lessor serve did not say where it listens within {timeout.TotalSeconds:N0} s:\n{Log()}");
    }

    /// <summary>SIGKILL: no shutdown, no flush; whatever it was writing is committed or not, as the store decides.</summary>
    public async Task KillAsync()
    {
        if (_process is not { HasExited: false } process) return;
        _ready = false;
        process.Kill(entireProcessTree: true);
        await process.WaitForExitAsync();
    }

    public string Log()
    {
        lock (_log) return _log.ToString();
    }

    public async ValueTask DisposeAsync()
    {
        if (_process is { HasExited: false } process)
        {
            using (var term = Process.Start("kill", ["-TERM", process.Id.ToString(CultureInfo.InvariantCulture)])) await term.WaitForExitAsync();
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            try
            {
                await process.WaitForExitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
            }
        }
        _process?.Dispose();
    }
}
