using Lessor.Server.Fleet;
using Lessor.Storage.Store;

namespace Lessor.Server;

/// <summary>How `lessor serve` runs: which store, what to load into it when empty, where to listen.</summary>
public sealed record ServerOptions
{
    public required StoreLocation Store { get; init; }

    /// <summary>Scenario file imported when the store is empty (the bundled sample by default).</summary>
    public string? SeedScenarioPath { get; init; }

    /// <summary>Loopback only by default: the API is not meant to face the internet without a proxy.</summary>
    public string Host { get; init; } = "127.0.0.1";

    /// <summary>0 picks a free port (tests).</summary>
    public int Port { get; init; } = 5080;

    /// <summary>Requests per second each API key (or anonymous address) may make before 429s.</summary>
    public int RateLimitPerSecond { get; init; } = 5000;

    /// <summary>After start, build the finance book and exercise the ledger's queries in the background (not before ready).</summary>
    public bool WarmUp { get; init; } = true;

    /// <summary>Largest request body accepted; larger ones get 413.</summary>
    public long MaxRequestBodyBytes { get; init; } = 1024 * 1024;

    /// <summary>How often the server checks the store's revision when nothing woke it (null: 100 ms on SQLite, 1 s on PostgreSQL).</summary>
    public TimeSpan? PollInterval { get; init; }

    /// <summary>How long after the store last answered reads are still served; writes stop as soon as the store fails to answer.</summary>
    public TimeSpan ReadStaleBound { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How long a request with Lessor-Min-Revision waits for the server to catch up before a 503.</summary>
    public TimeSpan MinRevisionWait { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>The fleet desk's clock skew, swap time, health rules and spare safety factor (docs/fleet.md).</summary>
    public Fleet.FleetOptions Fleet { get; init; } = new();

    /// <summary>The fleet lease: ttl (the failover time), this replica's holder id and advertised URL (docs/deploy.md).</summary>
    public FleetLeaseOptions FleetLease { get; init; } = new();

    /// <summary>
    /// Consume health reports from NATS JetStream (`lessor serve --nats URL`) into the <see cref="IHealthSink"/> the
    /// server registers; null: no consumer (the HTTP batch endpoint still takes reports).
    /// </summary>
    public NatsIngestOptions? Nats { get; init; }
}
