using Lessor.Storage.Store;

namespace Lessor.Server.Fleet;

/// <summary>The fleet lease's settings (docs/deploy.md, "The fleet lease").</summary>
public sealed record FleetLeaseOptions
{
    /// <summary>How long a holder keeps the lease without renewing it; renewed every third of it. The failover time.</summary>
    public TimeSpan Ttl { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>This process's holder id; null: host name, process id and a random suffix (a fresh one per server).</summary>
    public string? Holder { get; init; }

    /// <summary>Where clients reach this replica, told by the other replicas' 503s while this one holds the lease.</summary>
    public string? AdvertisedUrl { get; init; }

    /// <summary>How often, at most, a replica that does not hold the lease reloads its fleet book (only when the fleet moved).</summary>
    public TimeSpan FollowInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>The lease's clock (null: the system clock): tests pass one they move to let a lease expire.</summary>
    public TimeProvider? Clock { get; init; }
}

/// <summary>
/// This process's view of the store's single-writer lease on the fleet: whether it holds it, at which epoch (the
/// fencing token every fleet write carries) and until when by its own clock. A server's lease is renewed by
/// <see cref="FleetLeaseKeeper"/>; a standalone one (the CLI, tests, benches: <see cref="Standalone"/>) is taken by the
/// fleet desk for each write and let go after it. Thread-safe.
/// </summary>
public sealed class FleetLease
{
    /// <summary>The lease's name in the store.</summary>
    public const string Name = "fleet";

    private readonly LessorStore _store;
    private readonly Lock _sync = new();
    private long? _epoch;
    private DateTime _heldUntil;
    private LeaseState? _seen;
    private CancellationTokenSource? _tenure;
    private TaskCompletionSource _acquired = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public FleetLease(LessorStore store, FleetLeaseOptions options, bool standalone)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(options);
        if (options.Ttl <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(options), options.Ttl, "The lease's ttl must be positive.");
        _store = store;
        Holder = options.Holder ?? NewHolderId();
        Url = options.AdvertisedUrl;
        Ttl = options.Ttl;
        Clock = options.Clock ?? TimeProvider.System;
        IsStandalone = standalone;
    }

    /// <summary>A lease the fleet desk takes for each write and lets go after it, with a holder id of its own.</summary>
    public static FleetLease Standalone(LessorStore store) => new(store, new FleetLeaseOptions(), standalone: true);

    /// <summary>A fresh holder id: host, process and a random suffix (two servers in one process are two holders).</summary>
    public static string NewHolderId() => $"{Environment.MachineName}/{Environment.ProcessId}/{Guid.NewGuid().ToString("N")[..8]}";

    public string Holder { get; }

    public string? Url { get; }

    public TimeSpan Ttl { get; }

    public TimeProvider Clock { get; }

    /// <summary>True when the desk takes the lease for each write (no keeper renews it).</summary>
    public bool IsStandalone { get; }

    private DateTime Now => Clock.GetUtcNow().UtcDateTime;

    /// <summary>The epoch held now, or null: not held, or past the lease's end by this process's clock (a renewal failed).</summary>
    public long? Epoch
    {
        get
        {
            lock (_sync) return _epoch is { } e && Now < _heldUntil ? e : null;
        }
    }

    public bool Held => Epoch is not null;

    /// <summary>The lease as last read when another holder had it (for the 503's holder and URL), or null.</summary>
    public LeaseState? Elsewhere
    {
        get
        {
            lock (_sync) return _seen;
        }
    }

    /// <summary>
    /// Takes or renews the lease; returns the epoch held or null (then <see cref="Elsewhere"/> says who holds it). The end
    /// is counted from the instant before the store was asked, so this process lets go no later than the store does.
    /// </summary>
    public async Task<long?> RenewAsync(CancellationToken ct)
    {
        var now = Now;
        var epoch = await _store.TryAcquireOrRenewAsync(Name, Holder, Url, Ttl, now, ct);
        var seen = epoch is null ? await _store.ReadLeaseAsync(Name, ct) : null;
        Set(epoch, now + Ttl, seen);
        return epoch;
    }

    /// <summary>Lets the lease go (it expires now in the store: another replica takes it at its next renewal).</summary>
    public async Task ReleaseAsync(CancellationToken ct)
    {
        Set(null, default, null);
        await _store.ReleaseAsync(Name, Holder, Now, ct);
    }

    /// <summary>The fence of a write made now at <paramref name="epoch"/>.</summary>
    public LeaseFence Fence(long epoch) => new(Name, Holder, epoch, Now);

    /// <summary>A fenced write was refused (<paramref name="current"/>: the lease as it found it): this process no longer holds it.</summary>
    public void Lost(LeaseState? current) => Set(null, default, current);

    /// <summary>Ends the tenure when this process's clock has passed the lease's end without a renewal (the store did not answer).</summary>
    public void ExpireIfDue()
    {
        bool due;
        lock (_sync) due = _epoch is not null && Now >= _heldUntil;
        if (due) Set(null, default, null);
    }

    /// <summary>How long until the lease ends by this process's clock (zero when not held).</summary>
    public TimeSpan Remaining
    {
        get
        {
            lock (_sync) return _epoch is null ? TimeSpan.Zero : _heldUntil - Now > TimeSpan.Zero ? _heldUntil - Now : TimeSpan.Zero;
        }
    }

    /// <summary>
    /// Waits until this process holds the lease and returns a token cancelled when that tenure ends (lost, expired,
    /// released): what the NATS consumer runs under.
    /// </summary>
    public async Task<CancellationToken> WaitHeldAsync(CancellationToken ct)
    {
        while (true)
        {
            ExpireIfDue();
            Task acquired;
            lock (_sync)
            {
                if (_epoch is not null && _tenure is { } tenure && Now < _heldUntil) return tenure.Token;
                acquired = _acquired.Task;
            }
            await acquired.WaitAsync(ct);
        }
    }

    private void Set(long? epoch, DateTime until, LeaseState? seen)
    {
        CancellationTokenSource? ended = null;
        lock (_sync)
        {
            if (seen is not null || epoch is not null) _seen = seen;
            if (epoch is { } e)
            {
                if (_epoch != e || _tenure is null)
                {
                    ended = _tenure;
                    _tenure = new CancellationTokenSource();
                }
                _epoch = e;
                _heldUntil = until;
                _acquired.TrySetResult();
            }
            else if (_epoch is not null)
            {
                ended = _tenure;
                _tenure = null;
                _epoch = null;
                _acquired = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
        }
        // Outside the lock: cancelling runs the tenure's callbacks (the consumer stopping).
        // Not disposed: the consumer may still link to its token; a cancelled source holds nothing worth freeing.
        ended?.Cancel();
    }
}

/// <summary>
/// A fleet write reached a replica that does not hold the fleet lease (or lost it during the write): nothing was
/// written. The API answers 503 with problem type <see cref="ProblemType"/>, naming the holder and its URL when known.
/// </summary>
public sealed class FleetLeaderElsewhereException(string self, LeaseState? holder)
    : Exception(holder?.Holder is { } h && holder.Holder != self
        ? $"This replica ({self}) does not hold the fleet lease: '{h}' holds it{(holder.HolderUrl is { } u ? $" at {u}" : "")} (epoch {holder.Epoch}); fleet writes go there."
        : $"This replica ({self}) does not hold the fleet lease (no holder now; one takes it within the lease's ttl): retry.")
{
    /// <summary>The problem type of the 503.</summary>
    public const string ProblemType = "fleet-leader-elsewhere";

    /// <summary>This replica's holder id.</summary>
    public string Self { get; } = self;

    /// <summary>The lease as last read (its holder, URL and epoch), or null when unknown.</summary>
    public LeaseState? Holder { get; } = holder;
}
