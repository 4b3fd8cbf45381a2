namespace Lessor.Core.Model;

/// <summary>A customer (and, through API keys, a tenant).</summary>
public sealed record Customer
{
    public required CustomerId Id { get; init; }
    public required string Name { get; init; }
}

/// <summary>How tightly a line's capacity must sit together.</summary>
public enum Locality
{
    /// <summary>All blocks in one fabric.</summary>
    Fabric,

    /// <summary>All blocks in fabrics of one site.</summary>
    Site,

    /// <summary>All blocks in sites of one region.</summary>
    Region,

    /// <summary>Anywhere.</summary>
    Any,
}

/// <summary>Units of a line held in one fabric (a pinned or computed placement).</summary>
public sealed record PlacedBlock(FabricId Fabric, int Units);

/// <summary>An option on a line: it commits nothing until exercised.</summary>
public sealed record OptionTerms
{
    /// <summary>Last date the customer may exercise.</summary>
    public required DateTime ExerciseBy { get; init; }
    public DateTime? ExercisedOn { get; init; }

    /// <summary>The later contract under which it was exercised, when that is how it happened (Meta's second deal).</summary>
    public ContractId? ExercisedUnder { get; init; }

    public bool IsExercised => ExercisedOn is not null;
}

/// <summary>
/// A tranche of a contract: GPUs of one platform over a period at a price, with placement rules. GPUs are a
/// multiple of the platform's unit; a block size, when set, is too, and each block stays in one fabric.
/// </summary>
public sealed record ContractLine
{
    public required LineId Id { get; init; }
    public required PlatformId Platform { get; init; }
    public required GpuCount Gpus { get; init; }
    public required Period Period { get; init; }
    public required Money PricePerGpuHour { get; init; }
    public Locality Locality { get; init; } = Locality.Any;

    /// <summary>Blocks of exactly this many GPUs (plus one remainder block), each inside one fabric. Null: split at unit boundaries.</summary>
    public GpuCount? BlockSize { get; init; }

    /// <summary>The blocks span at least this many distinct sites.</summary>
    public int MinSites { get; init; } = 1;

    /// <summary>Where the line already sits, when the scenario pins it; empty lets the ledger place it.</summary>
    public IReadOnlyList<PlacedBlock> Pinned { get; init; } = [];

    /// <summary>Set when the line is an option; an unexercised option commits nothing.</summary>
    public OptionTerms? Option { get; init; }

    /// <summary>True when the line commits capacity and revenue: firm, or an exercised option.</summary>
    public bool IsCommitted => Option is null || Option.IsExercised;

    /// <summary>GPUs x hours x price: the line's contract value.</summary>
    public Money Value => PricePerGpuHour * (Gpus.Value * Period.Hours);
}

/// <summary>What a contract amendment did.</summary>
public enum AmendmentKind
{
    Grow,
    Shrink,
    Extend,
    Exercise,
    Reprice,
    Cancel,
}

/// <summary>
/// One entry of a contract's amendment history, oldest first. Amendments change only the future: the
/// line as it stood before <see cref="EffectiveOn"/> is kept in <see cref="Before"/>.
/// </summary>
public sealed record Amendment
{
    public required int Sequence { get; init; }
    public required DateTime EffectiveOn { get; init; }
    public required AmendmentKind Kind { get; init; }
    public LineId? Line { get; init; }
    public ContractLine? Before { get; init; }
    public ContractLine? After { get; init; }
    public string? Note { get; init; }
}

/// <summary>
/// Service-level terms: monthly availability target and the credit owed when it is missed (docs/fleet.md). Without
/// <see cref="Tiers"/>, each step of 1 - target below the target earns <see cref="CreditFraction"/> of the month's charge;
/// with them, the deepest tier the availability falls under. Never more than <see cref="CreditCapFraction"/>.
/// </summary>
public sealed record SlaTerms(decimal AvailabilityTarget, decimal CreditFraction, decimal CreditCapFraction)
{
    /// <summary>Credit tiers, by descending <see cref="SlaTier.Below"/>; empty: steps of <see cref="CreditFraction"/>.</summary>
    public IReadOnlyList<SlaTier> Tiers { get; init; } = [];

    /// <summary>Whether GPU-minutes on degraded nodes count as available.</summary>
    public DegradedPolicy Degraded { get; init; } = DegradedPolicy.Available;

    /// <summary>Days of notice that make a maintenance window excluded from the availability count.</summary>
    public int MaintenanceNoticeDays { get; init; } = DefaultMaintenanceNoticeDays;

    public const int DefaultMaintenanceNoticeDays = 5;

    public bool Equals(SlaTerms? other) =>
        other is not null && AvailabilityTarget == other.AvailabilityTarget && CreditFraction == other.CreditFraction
        && CreditCapFraction == other.CreditCapFraction && Degraded == other.Degraded
        && MaintenanceNoticeDays == other.MaintenanceNoticeDays && Tiers.SequenceEqual(other.Tiers);

    public override int GetHashCode() => HashCode.Combine(AvailabilityTarget, CreditFraction, CreditCapFraction, Degraded, MaintenanceNoticeDays, Tiers.Count);
}

/// <summary>A credit tier: availability below <see cref="Below"/> earns <see cref="CreditFraction"/> of the month's charge.</summary>
public sealed record SlaTier(decimal Below, decimal CreditFraction);

/// <summary>How an SLA counts GPU-minutes on degraded nodes.</summary>
public enum DegradedPolicy
{
    /// <summary>Degraded GPUs serve: their minutes are available.</summary>
    Available,

    /// <summary>Degraded GPUs count as down.</summary>
    Unavailable,
}

/// <summary>What ending the contract early costs: a fraction of the value not yet delivered.</summary>
public sealed record CancellationTerms(decimal FeeFraction, int NoticeDays);

/// <summary>An early end of a contract: from <see cref="EffectiveOn"/> nothing further is committed.</summary>
public sealed record Cancellation(DateTime EffectiveOn, Money Fee, string? Reason);

/// <summary>What happens to GPU-time a late delivery kept from the customer during a line's term.</summary>
public enum LateDeliveryRule
{
    /// <summary>The term runs from acceptance: the missed GPU-time is served (and recognized) after the line's end, on free capacity.</summary>
    Extend,

    /// <summary>The missed GPU-time is forfeited: never served, never recognized, reported as forfeited.</summary>
    Forfeit,
}

/// <summary>Take-or-pay capacity, or a backstop that buys unsold capacity up to a cap.</summary>
public enum ContractKind
{
    TakeOrPay,
    Backstop,
}

/// <summary>A signed agreement with one customer: lines, prepayment, SLA and cancellation terms, and its history.</summary>
public sealed record Contract
{
    public required ContractId Id { get; init; }
    public required CustomerId Customer { get; init; }
    public required DateTime SignedOn { get; init; }
    public required Currency Currency { get; init; }
    public ContractKind Kind { get; init; } = ContractKind.TakeOrPay;
    public string? Title { get; init; }

    /// <summary>The value announced at signing, for comparison with what the lines add up to.</summary>
    public Money? HeadlineValue { get; init; }

    public IReadOnlyList<ContractLine> Lines { get; init; } = [];

    /// <summary>Paid at signing and drawn down against invoices.</summary>
    public Money? Prepayment { get; init; }

    /// <summary>For a backstop: the most it will pay for unsold capacity over its term.</summary>
    public Money? BackstopCap { get; init; }

    /// <summary>For a backstop: the period over which it buys unsold capacity.</summary>
    public Period? BackstopPeriod { get; init; }

    /// <summary>What a late delivery does to the GPU-time it kept from the customer (default: the term extends).</summary>
    public LateDeliveryRule LateDelivery { get; init; } = LateDeliveryRule.Extend;

    public SlaTerms? Sla { get; init; }
    public CancellationTerms? CancellationTerms { get; init; }
    public Cancellation? Cancellation { get; init; }
    public IReadOnlyList<Amendment> Amendments { get; init; } = [];

    public IEnumerable<ContractLine> CommittedLines => Lines.Where(l => l.IsCommitted);

    /// <summary>
    /// Contract value, the one definition every report uses: for take-or-pay its TCV (every committed stretch of every
    /// line's history, GPUs x hours x price, cut at a cancellation, plus the cancellation fee); for a backstop its cap.
    /// </summary>
    public Money Value =>
        Kind == ContractKind.Backstop
            ? BackstopCap ?? Money.Zero(Currency)
            : Finance.RevenueSchedule.Tcv(this);
}
