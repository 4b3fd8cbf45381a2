using Lessor.Server.Desk;
using Lessor.Storage.Store;
using Microsoft.Extensions.Logging;

namespace Lessor.Server.Replication;

/// <summary>
/// Keeps a server's book current without a request (docs/change-feed.md): a loop that catches the desk up when woken
/// (a PostgreSQL notification from another server's commit) and at every poll interval (the check that covers a lost
/// notification or a dropped listener on PostgreSQL; the only wake-up on SQLite). Each pass is one indexed read when
/// nothing moved, and it is what tells the server it can reach the store (<see cref="DealDesk.LastContact"/>). The
/// claim pool is brought up the same way (claims move their own revision, and notify on PostgreSQL).
/// </summary>
public sealed partial class ReplicaLoop : IAsyncDisposable
{
    private readonly DealDesk _desk;
    private readonly Claims.ClaimDesk? _claims;

    // Told when another server created or revoked an API key (the key cache forgets, so a revocation holds at once).
    private readonly Action? _keysChanged;
    private readonly LessorStore _store;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _wake = new(0, 1);
    private readonly CancellationTokenSource _stop = new();
    private Task _loop = Task.CompletedTask;
    private Task _listen = Task.CompletedTask;
    private long _notifications;
    private volatile bool _listening;

    public ReplicaLoop(DealDesk desk, LessorStore store, TimeSpan pollInterval, ILogger logger, Claims.ClaimDesk? claims = null, Action? keysChanged = null)
    {
        _claims = claims;
        _keysChanged = keysChanged;
        ArgumentNullException.ThrowIfNull(desk);
        ArgumentNullException.ThrowIfNull(store);
        if (pollInterval <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(pollInterval), "The poll interval must be positive.");
        _desk = desk;
        _store = store;
        _logger = logger;
        PollInterval = pollInterval;
    }

    /// <summary>The poll interval when none is configured: 100 ms on SQLite (the only wake-up), 1 s on PostgreSQL (behind NOTIFY).</summary>
    public static TimeSpan DefaultPollInterval(LessorStore store)
    {
        ArgumentNullException.ThrowIfNull(store);
        return store.Notifies ? TimeSpan.FromSeconds(1) : TimeSpan.FromMilliseconds(100);
    }

    /// <summary>How long a revision check may take before the store counts as unreachable.</summary>
    public static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(2);

    /// <summary>How often the loop checks the store's revision when nothing woke it.</summary>
    public TimeSpan PollInterval { get; }

    /// <summary>True while a PostgreSQL listener connection is open and listening.</summary>
    public bool Listening => _listening;

    /// <summary>Notifications heard (every server's commits, this one's too).</summary>
    public long Notifications => Interlocked.Read(ref _notifications);

    /// <summary>The desk this loop keeps current.</summary>
    public DealDesk Desk => _desk;

    /// <summary>Starts the loop (and the listener where the store notifies).</summary>
    public void Start()
    {
        _loop = Task.Run(() => LoopAsync(_stop.Token));
        if (_store.Notifies) _listen = Task.Run(() => ListenAsync(_stop.Token));
    }

    /// <summary>Wakes the loop now (a notification, or a request that asks for a revision not yet reached).</summary>
    public void Wake()
    {
        try
        {
            _wake.Release();
        }
        catch (SemaphoreFullException)
        {
            // Already woken: one pass catches up with everything.
        }
    }

    private async Task LoopAsync(CancellationToken ct)
    {
        var failing = false;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                // The check runs outside the desk's writer (a long write must not look like a cut) and is bounded: a store
                // that does not answer within ProbeTimeout (a dropped network waits out TCP) counts as unreachable.
                long revision;
                using (var probe = CancellationTokenSource.CreateLinkedTokenSource(ct))
                {
                    probe.CancelAfter(ProbeTimeout);
                    revision = await _store.RevisionAsync(probe.Token);
                }
                _desk.StoreAnswered(revision);
                if (revision != _desk.Revision) await _desk.RefreshAsync(ct);
                // The claim pool: other servers' claims and releases (they do not move the store revision).
                if (_claims is not null) await _claims.RefreshAsync(ct);
                if (failing) LogReached(_logger, _desk.Revision);
                failing = false;
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                _desk.StoreFailed();
                if (!failing) LogCutOff(_logger, e is OperationCanceledException ? $"no answer within {ProbeTimeout.TotalSeconds:0.#} s" : e.Message);
                failing = true;
            }
            try
            {
                await _wake.WaitAsync(PollInterval, ct);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task ListenAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await _store.ListenForRevisionsAsync(revision =>
                {
                    Interlocked.Increment(ref _notifications);
                    _desk.Heard(revision);
                    if (revision > _desk.Revision) Wake();
                }, claimsRevision =>
                {
                    Interlocked.Increment(ref _notifications);
                    if (_claims is not null && claimsRevision > _claims.ClaimsRevision) Wake();
                }, () =>
                {
                    Interlocked.Increment(ref _notifications);
                    _keysChanged?.Invoke();
                }, () =>
                {
                    _listening = true;
                    Wake(); // a notification may have been missed while no listener was open
                }, ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                if (_listening) LogListenerDropped(_logger, e.Message);
            }
            _listening = false;
            try
            {
                await Task.Delay(PollInterval, ct);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        // The host disposes it as a service and at shutdown: the second call finds it done.
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        await _stop.CancelAsync();
        try
        {
            await Task.WhenAll(_loop, _listen);
        }
        catch (OperationCanceledException)
        {
            // Stopped.
        }
        _stop.Dispose();
        _wake.Dispose();
    }

    private int _disposed;

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cannot reach the store ({Reason}): writes are refused now, reads after the stale bound.")]
    private static partial void LogCutOff(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "The store answers again; the book is at revision {Revision}.")]
    private static partial void LogReached(ILogger logger, long revision);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The store's notification listener dropped ({Reason}); polling until it is back.")]
    private static partial void LogListenerDropped(ILogger logger, string reason);
}
