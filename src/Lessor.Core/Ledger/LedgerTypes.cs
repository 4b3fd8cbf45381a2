using Lessor.Core.Model;

namespace Lessor.Core.Ledger;

/// <summary>A proposed contract: one or more lines for one customer, placed jointly in order.</summary>
public sealed record DealRequest(CustomerId Customer, IReadOnlyList<DealLine> Lines);

/// <summary>One line of a proposed deal: GPUs of a platform over a period, with placement rules and an optional price.</summary>
public sealed record DealLine
{
    /// <summary>The line's id once signed; null names it L1, L2... by position.</summary>
    public LineId? Id { get; init; }
    public required PlatformId Platform { get; init; }
    public required GpuCount Gpus { get; init; }
    public required Period Period { get; init; }
    public Locality Locality { get; init; } = Locality.Any;

    /// <summary>Blocks of exactly this many GPUs (plus one remainder block), each inside one fabric.</summary>
    public GpuCount? BlockSize { get; init; }
    public int MinSites { get; init; } = 1;
    public Money? PricePerGpuHour { get; init; }

    /// <summary>The same line moved or resized; placement rules kept.</summary>
    public DealLine With(GpuCount gpus, Period period) => this with { Gpus = gpus, Period = period };
}

/// <summary>Where one line goes: its blocks in named fabrics (with a block size, one entry per block).</summary>
public sealed record LinePlacement(LineId Line, DealLine Spec, IReadOnlyList<PlacedBlock> Blocks);

/// <summary>The resource that stops a deal from fitting.</summary>
public enum ConstraintKind
{
    PlatformSupply,
    FabricSize,
    SitePower,
    Locality,
    BlockSize,
    MinSites,
}

/// <summary>Why a line does not fit: which resource, where, over which dates, by how many GPUs, in one sentence.</summary>
public sealed record BindingConstraint(
    ConstraintKind Kind, LineId Line, string Where, Period When, GpuCount Short, string Reason);

/// <summary>The answer to "does this deal fit": the placement of every line, or what binds.</summary>
public sealed record FitResult(bool Fits, IReadOnlyList<LinePlacement> Placements, IReadOnlyList<BindingConstraint> Constraints);

/// <summary>
/// The earliest start (same durations) at which a deal fits, with its placement; Start is null when none in range
/// (Fit then says why it does not fit at notBefore). CandidatesChecked counts the starts given a full feasibility test.
/// </summary>
public sealed record EarliestResult(DateTime? Start, FitResult Fit, int CandidatesChecked);

/// <summary>The largest size of a single-line deal that fits in its period, with that placement (Zero: nothing fits).</summary>
public sealed record LargestResult(GpuCount Largest, FitResult Fit);

/// <summary>Committed over available GPU-hours of one scope, before and after a deal.</summary>
public sealed record Utilization(string Scope, decimal Before, decimal After);

/// <summary>What a deal changes: its TCV (null when a line has no price) and utilization over the deal's period.</summary>
public sealed record ImpactResult(
    Money? Tcv, FitResult Fit, Period Over, IReadOnlyList<Utilization> ByPlatform, IReadOnlyList<Utilization> BySite);

/// <summary>A committed line that accepted supply does not cover in one fabric: when, and by how many GPUs.</summary>
public sealed record UncoveredLine(LineRef Line, FabricId Fabric, Period Shortfall, GpuCount Short);

/// <summary>A committed scenario line the ledger could not place (no pinned blocks and no room).</summary>
public sealed record UnplacedLine(LineRef Line, IReadOnlyList<BindingConstraint> Constraints);

/// <summary>A ledger built from a scenario: the ledger, lines not covered by supply, lines it could not place, input problems.</summary>
public sealed record LedgerBuild(
    CapacityLedger Ledger,
    IReadOnlyList<UncoveredLine> Uncovered,
    IReadOnlyList<UnplacedLine> Unplaced,
    IReadOnlyList<ValidationIssue> Issues);

/// <summary>The outcome of a write: the undo token when applied, otherwise the reason nothing changed.</summary>
public sealed record WriteResult(CommitToken? Token, IReadOnlyList<BindingConstraint> Constraints, string? Error)
{
    public bool Applied => Token is not null;
}

/// <summary>A delivery change applied: its undo token and every line now uncovered anywhere in the ledger.</summary>
public sealed record DeliveryChangeResult(CommitToken Token, IReadOnlyList<UncoveredLine> Uncovered);

/// <summary>
/// The undo handle of one ledger write. Release it to restore the ledger exactly; tokens are released newest
/// first (a transaction that fails rolls back its own write before anything else is written).
/// </summary>
public sealed class CommitToken
{
    internal CommitToken(long versionBefore, long versionAfter, IReadOnlyList<LedgerOp> ops)
    {
        VersionBefore = versionBefore;
        VersionAfter = versionAfter;
        Ops = ops;
    }

    internal long VersionBefore { get; }
    internal long VersionAfter { get; }
    internal IReadOnlyList<LedgerOp> Ops { get; }
    internal bool Released { get; set; }
}

/// <summary>Units held out of fabrics' free counts by <see cref="CapacityLedger.HoldUnits"/>, until released (once).</summary>
public sealed class UnitHold
{
    private readonly CapacityLedger _ledger;
    private readonly IReadOnlyList<(int Fabric, int Units)> _holds;
    private readonly long _start;
    private readonly long _end;
    private bool _released;

    internal UnitHold(CapacityLedger ledger, IReadOnlyList<(int Fabric, int Units)> holds, long start, long end)
    {
        _ledger = ledger;
        _holds = holds;
        _start = start;
        _end = end;
    }

    /// <summary>Gives the held units back to the ledger.</summary>
    public void Release()
    {
        if (_released) throw new InvalidOperationException("This hold has already been released.");
        _released = true;
        _ledger.GiveBack(_holds, _start, _end);
    }
}
