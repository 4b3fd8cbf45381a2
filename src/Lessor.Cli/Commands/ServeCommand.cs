using System.CommandLine;
using Lessor.Server;
using Lessor.Server.Fleet;
using Microsoft.Extensions.Hosting;

namespace Lessor.Cli.Commands;

/// <summary>`lessor serve`: the HTTP API on loopback (or --host), seeded with the bundled scenario when the store is empty.</summary>
internal static class ServeCommand
{
    /// <summary>The scenario shipped beside the binary.</summary>
    public static string BundledScenarioPath => Path.Combine(AppContext.BaseDirectory, "samples", "neocloud-2026.yaml");

    public static Command Build(CliIo io)
    {
        var db = CommonOptions.Db(creates: true);
        var port = new Option<int>("--port") { Description = "TCP port (on --host)", DefaultValueFactory = _ => 5080 };
        port.Validators.Add(v =>
        {
            var p = v.GetValueOrDefault<int>();
            if (p is < 0 or > 65535) v.AddError($"--port: {p} is not a TCP port (0-65535).");
        });
        var host = new Option<string>("--host")
        {
            Description = "Address to listen on (default 127.0.0.1; a replica behind a proxy on another host listens on its own address)",
            DefaultValueFactory = _ => "127.0.0.1",
        };
        host.Validators.Add(v =>
        {
            var h = v.GetValueOrDefault<string>();
            if (!System.Net.IPAddress.TryParse(h, out _) && h != "localhost") v.AddError($"--host: '{h}' is not an IP address (127.0.0.1, 10.0.0.5, ::1, 0.0.0.0).");
        });
        var scenario = new Option<FileInfo?>("--scenario") { Description = "Scenario to import when the store is empty (default: the bundled neocloud-2026.yaml)" };
        var nats = new Option<string?>("--nats") { Description = "Consume health reports from this NATS JetStream server (nats://HOST:PORT; docs/nats.md)" };
        nats.Validators.Add(v =>
        {
            var url = v.GetValueOrDefault<string?>();
            if (url is not null && (!Uri.TryCreate(url, UriKind.Absolute, out var u) || u.Scheme != "nats" || u.Port <= 0))
                v.AddError($"--nats: '{url}' is not a NATS URL such as nats://127.0.0.1:4222.");
        });
        // Replica settings (docs/deploy.md): how often a replica checks the store's revision when nothing woke it, how long
        // it serves reads after losing the store, how long a request asking for a revision waits for it.
        var poll = new Option<int?>("--poll-ms") { Description = "Check the store's revision this often when no notification came (default: 100 on SQLite, 1000 on PostgreSQL)" };
        poll.Validators.Add(v =>
        {
            if (v.GetValueOrDefault<int?>() is { } ms && ms is < 10 or > 60_000) v.AddError($"--poll-ms: {ms} is not from 10 to 60000 milliseconds.");
        });
        var stale = new Option<double>("--read-stale-s") { Description = "Serve reads for this many seconds after the store last answered (writes stop at once)", DefaultValueFactory = _ => 5 };
        stale.Validators.Add(v =>
        {
            var x = v.GetValueOrDefault<double>();
            if (!(x >= 0 && x <= 3600)) v.AddError($"--read-stale-s: {x} is not from 0 to 3600 seconds.");
        });
        var minRevisionWait = new Option<int>("--min-revision-wait-ms") { Description = "How long a request with Lessor-Min-Revision waits for this replica to catch up before a 503", DefaultValueFactory = _ => 2000 };
        minRevisionWait.Validators.Add(v =>
        {
            var ms = v.GetValueOrDefault<int>();
            if (ms is < 0 or > 60_000) v.AddError($"--min-revision-wait-ms: {ms} is not from 0 to 60000 milliseconds.");
        });
        var instance = new Option<string?>("--instance-id")
        {
            Description = "This replica's holder id for the fleet lease (default: host/pid/random). Give a restarted replica the same id to take its lease back at once; never two live replicas",
        };
        instance.Validators.Add(v =>
        {
            var id = v.GetValueOrDefault<string?>();
            if (id is not null && (id.Length is 0 or > 200 || id.Any(char.IsControl))) v.AddError($"--instance-id: '{id}' must be 1-200 printable characters.");
        });
        var advertise = new Option<string?>("--advertise-url") { Description = "The URL the other replicas name in their 503s while this one holds the fleet lease (docs/deploy.md)" };
        advertise.Validators.Add(v =>
        {
            var url = v.GetValueOrDefault<string?>();
            if (url is not null && (!Uri.TryCreate(url, UriKind.Absolute, out var u) || (u.Scheme != "http" && u.Scheme != "https")))
                v.AddError($"--advertise-url: '{url}' is not an http(s) URL such as http://10.0.0.5:5080.");
        });
        var leaseTtl = new Option<double>("--fleet-lease-ttl") { Description = "Seconds a fleet lease lasts unrenewed: the fleet's failover time (renewed every third)", DefaultValueFactory = _ => 10 };
        leaseTtl.Validators.Add(v =>
        {
            var t = v.GetValueOrDefault<double>();
            if (!(t is >= 1 and <= 3600)) v.AddError($"--fleet-lease-ttl: {t} is outside 1..3600 seconds.");
        });
        var cmd = new Command("serve", "Run the HTTP API (on 127.0.0.1 unless --host says otherwise)") { db, port, host, scenario, nats, poll, stale, minRevisionWait, instance, advertise, leaseTtl };
        cmd.SetAction(async (r, ct) =>
        {
            var options = new ServerOptions
            {
                Store = CommonOptions.Store(r, db),
                SeedScenarioPath = r.GetValue(scenario)?.FullName ?? BundledScenarioPath,
                Port = r.GetValue(port),
                Host = r.GetValue(host)!,
                Nats = r.GetValue(nats) is { } natsUrl ? new NatsIngestOptions { Url = natsUrl } : null,
                PollInterval = r.GetValue(poll) is { } pollMs ? TimeSpan.FromMilliseconds(pollMs) : null,
                ReadStaleBound = TimeSpan.FromSeconds(r.GetValue(stale)),
                MinRevisionWait = TimeSpan.FromMilliseconds(r.GetValue(minRevisionWait)),
                FleetLease = new FleetLeaseOptions { Holder = r.GetValue(instance), AdvertisedUrl = r.GetValue(advertise), Ttl = TimeSpan.FromSeconds(r.GetValue(leaseTtl)) },
            };
            io.Err.WriteLine($"lessor: store {CommonOptions.Describe(options.Store)}");
            await using var app = await LessorServer.BuildAsync(options, ct);
            await app.StartAsync(ct);
            foreach (var url in app.Urls) io.Err.WriteLine($"lessor: listening on {url} (health: {url}/health)");
            if (options.WarmUp) LessorServer.WarmUpInBackground(app);
            await app.WaitForShutdownAsync(ct);
            return ExitCodes.Ok;
        });
        return cmd;
    }
}
