using System.Diagnostics.Metrics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Lessor.Server.Fleet;

/// <summary>
/// Keeps this server's claim on the fleet lease (docs/deploy.md, "The fleet lease"): renews it every third of its ttl
/// (taking it when free or expired), and lets it go when the server stops, so another replica takes over at its next
/// renewal rather than after the ttl. While another replica holds it, reloads the fleet book when the fleet moved, at
/// most every <see cref="FleetLeaseOptions.FollowInterval"/>. Publishes <c>lessor.fleet.lease.held</c> (and the epoch)
/// on the <c>Lessor.Fleet</c> meter.
/// </summary>
public sealed partial class FleetLeaseKeeper : BackgroundService
{
    private readonly FleetLease _lease;
    private readonly FleetDesk _desk;
    private readonly TimeSpan _follow;
    private readonly ILogger _logger;

    public FleetLeaseKeeper(FleetLease lease, FleetDesk desk, TimeSpan followInterval, ILogger<FleetLeaseKeeper> logger, IMeterFactory? meters)
    {
        ArgumentNullException.ThrowIfNull(lease);
        ArgumentNullException.ThrowIfNull(desk);
        _lease = lease;
        _desk = desk;
        _follow = followInterval;
        _logger = logger;
        if (meters is not null)
        {
            // The host's meter: exported by this host only (two servers in one process each report their own lease).
            var meter = meters.Create(FleetIngestMetrics.MeterName);
            meter.CreateObservableGauge("lessor.fleet.lease.held", () => _lease.Held ? 1L : 0L, "{bool}", "1 while this replica holds the fleet lease (it alone writes the fleet)");
            meter.CreateObservableGauge("lessor.fleet.lease.epoch", () => _lease.Epoch ?? 0L, "{epoch}", "The fleet lease's epoch this replica holds (0 when it holds none)");
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var held = _lease.Held;
        var failing = false;
        var followedAt = DateTimeOffset.MinValue;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var epoch = await _lease.RenewAsync(stoppingToken);
                if (epoch is { } e && !held) LogAcquired(_logger, _lease.Holder, e);
                if (epoch is null && held) LogLost(_logger, _lease.Holder, _lease.Elsewhere?.Holder ?? "none");
                held = epoch is not null;
                failing = false;
                var now = _lease.Clock.GetUtcNow();
                if (epoch is null && _lease.Elsewhere is { } seen && now - followedAt >= _follow && await _desk.FollowAsync(seen, stoppingToken))
                    followedAt = now;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // The store did not answer: the lease ends by this process's clock when its ttl runs out unrenewed.
                if (!failing) LogRenewFailed(_logger, e.Message);
                failing = true;
                _lease.ExpireIfDue();
                if (held && !_lease.Held) LogLost(_logger, _lease.Holder, "unknown (the store did not answer)");
                held = _lease.Held;
            }
            // Every third of the ttl, and never past the lease's end by this clock (a renewal that fails ends it then).
            var wait = _lease.Ttl / 3;
            if (held && _lease.Remaining < wait) wait = _lease.Remaining;
            try
            {
                await Task.Delay(wait > TimeSpan.Zero ? wait : TimeSpan.FromMilliseconds(10), stoppingToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }
            _lease.ExpireIfDue();
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        // A clean stop hands over at once: the others take the lease at their next renewal, not after the ttl.
        if (_lease.Held)
        {
            try
            {
                using var bound = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                bound.CancelAfter(TimeSpan.FromSeconds(2));
                await _lease.ReleaseAsync(bound.Token);
                LogReleased(_logger, _lease.Holder);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                LogRenewFailed(_logger, e.Message);
            }
        }
    }

    [LoggerMessage(EventId = 1411, Level = LogLevel.Information, Message = "Holding the fleet lease as {Holder} at epoch {Epoch}: this replica writes the fleet")]
    private static partial void LogAcquired(ILogger logger, string holder, long epoch);

    [LoggerMessage(EventId = 1412, Level = LogLevel.Warning, Message = "Lost the fleet lease ({Holder}); held now by {Other}: fleet writes here answer 503")]
    private static partial void LogLost(ILogger logger, string holder, string other);

    [LoggerMessage(EventId = 1413, Level = LogLevel.Warning, Message = "Could not renew the fleet lease: {Reason}")]
    private static partial void LogRenewFailed(ILogger logger, string reason);

    [LoggerMessage(EventId = 1414, Level = LogLevel.Information, Message = "Released the fleet lease ({Holder}) at shutdown")]
    private static partial void LogReleased(ILogger logger, string holder);
}
