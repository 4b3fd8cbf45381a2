using Lessor.Core.Fleet;

namespace Lessor.Server.Fleet;

/// <summary>What became of one report of a batch.</summary>
public enum IngestStatus
{
    /// <summary>Applied now: readings counted, events mapped to the node's state.</summary>
    Applied,

    /// <summary>At or below the node's last applied sequence: already applied once, nothing changes.</summary>
    Duplicate,

    /// <summary>Not applied: the body is not a report (<see cref="IngestOutcome.Field"/> names what is wrong).</summary>
    Malformed,

    /// <summary>Not applied: no node has this serial.</summary>
    UnknownNode,

    /// <summary>Not applied: the report's instant is later than the receiver's clock allows.</summary>
    FromTheFuture,
}

/// <summary>The outcome of one report; refused ones carry the field and the reason.</summary>
public sealed record IngestOutcome(IngestStatus Status, string? Field = null, string? Reason = null)
{
    public static IngestOutcome Applied { get; } = new(IngestStatus.Applied);

    public static IngestOutcome Duplicate { get; } = new(IngestStatus.Duplicate);

    public bool Refused => Status is IngestStatus.Malformed or IngestStatus.UnknownNode or IngestStatus.FromTheFuture;
}

/// <summary>
/// Where health reports go, from the NATS JetStream consumer and the HTTP batch endpoint alike. A batch is applied in
/// order and is durable when the task completes (the consumer acknowledges only then); each report gets one outcome, in
/// the batch's order. A refused report never fails the batch.
/// </summary>
public interface IHealthSink
{
    Task<IReadOnlyList<IngestOutcome>> ApplyAsync(IReadOnlyList<HealthReport> reports, CancellationToken cancellationToken);
}
