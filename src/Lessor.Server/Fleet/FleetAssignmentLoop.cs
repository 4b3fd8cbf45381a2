using Lessor.Core.Model;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Lessor.Server.Fleet;

/// <summary>
/// Keeps the fleet's roles following the book as time passes (docs/fleet.md, "Assignment over time"): each second it asks
/// the fleet desk whether the deal desk's book moved (a sign, amendment, cancellation, slip or accepted delivery, here or
/// on another server) or a line's placement starts or ends by now, and if so reassigns at the current time.
/// </summary>
public sealed partial class FleetAssignmentLoop(FleetDesk desk, TimeProvider clock, ILogger<FleetAssignmentLoop> logger) : BackgroundService
{
    /// <summary>How often the loop checks; a check that finds nothing due reads two numbers.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, clock);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            // Only the fleet lease's holder reassigns (the others follow its writes).
            if (!desk.MayWrite || !desk.AssignmentDue(clock.GetUtcNow().UtcDateTime)) continue;
            try
            {
                var outcome = await desk.ReassignAsync(stoppingToken);
                if (outcome.Changes.Count > 0 || outcome.NodesRegistered > 0) Reassigned(logger, outcome.Changes.Count, outcome.NodesRegistered, outcome.At);
                foreach (var u in outcome.Unfilled) UnfilledUnits(logger, u.Line, u.Fabric, u.Units);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // Logged and tried again at the next tick (the desk reloaded itself from the store).
                Failed(logger, e);
            }
        }
    }

    [LoggerMessage(EventId = 1421, Level = LogLevel.Information, Message = "Fleet reassigned at {At:O}: {Changes} nodes changed role, {Registered} nodes registered")]
    private static partial void Reassigned(ILogger logger, int changes, int registered, DateTime at);

    [LoggerMessage(EventId = 1422, Level = LogLevel.Debug, Message = "Line {Line} has {Units} units on fabric {Fabric} that no accepted node can take yet")]
    private static partial void UnfilledUnits(ILogger logger, LineRef line, FabricId fabric, int units);

    [LoggerMessage(EventId = 1423, Level = LogLevel.Warning, Message = "Fleet reassignment failed; trying again at the next tick")]
    private static partial void Failed(ILogger logger, Exception exception);
}
