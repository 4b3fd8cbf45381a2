using Lessor.Core.Ledger;
using Lessor.Core.Model;

namespace Lessor.Planning;

/// <summary>Knobs of the build-out planner; the defaults suit a planner's question at the deal desk.</summary>
public sealed record PlanOptions
{
    /// <summary>Units a new fabric holds. Null: the largest existing fabric of the platform (256 when there is none), raised to the deal's largest block.</summary>
    public int? NewFabricMaxUnits { get; init; }

    /// <summary>
    /// A plan opens at most this many new fabrics of one platform at one site (over all its rounds). The planner offers
    /// each site as many new slots as the deal's blocks could need there, up to this; when more would make the deal
    /// fit, the no-plan answer says so.
    /// </summary>
    public int MaxNewFabricsPerSite { get; init; } = 4;

    /// <summary>The solver's budget in deterministic seconds (work units, not wall time), so a result never depends on the machine's speed.</summary>
    public double SolverDeterministicSeconds { get; init; } = 20;

    /// <summary>Budget of each tie-break pass (fewer new fabrics at the least capex, then fewer deliveries), in deterministic seconds.</summary>
    public double TieBreakDeterministicSeconds { get; init; } = 5;

    /// <summary>The solver's random seed (it runs on one worker, so the same input gives the same plan).</summary>
    public int Seed { get; init; } = 1;

    /// <summary>Plan-and-verify rounds: a rebuild may re-place unpinned book lines onto new units, and the next round adds what they took.</summary>
    public int MaxRounds { get; init; } = 3;

    public static PlanOptions Default { get; } = new();
}

/// <summary>What the planner concluded.</summary>
public enum PlanOutcome
{
    /// <summary>The deal fits without building anything.</summary>
    AlreadyFits,

    /// <summary>The proposed deliveries make the deal fit (verified on a rebuilt ledger).</summary>
    Planned,

    /// <summary>No build-out makes it fit; <see cref="BuildOutPlan.Why"/> says why.</summary>
    NoPlan,
}

/// <summary>What stops every build-out, when none exists.</summary>
public enum PlanBlocker
{
    None,
    UnknownPlatform,
    PlatformNotAvailable,
    LeadTime,
    Power,
    FabricLimits,
    SolverLimit,
    Verification,
}

/// <summary>
/// One proposed delivery: units of a platform into a fabric (existing, or new with <see cref="NewFabricMaxUnits"/>),
/// accepted on a date and therefore ordered by <see cref="OrderBy"/> (acceptance minus the platform's lead time).
/// </summary>
public sealed record PlannedDelivery(
    DeliveryId Id,
    FabricId Fabric,
    SiteId Site,
    PlatformId Platform,
    bool NewFabric,
    int? NewFabricMaxUnits,
    int Units,
    GpuCount Gpus,
    DateTime AcceptanceDate,
    DateTime OrderBy,
    decimal Mw,
    Money Capex);

/// <summary>
/// The planner's answer: the deliveries to make, their totals, the deal's margin over its term (TCV minus the capex
/// of the new units), the ledger's fit once they are applied, and, when no plan exists, why in one sentence.
/// <see cref="Optimal"/>: the solver proved the order least capex, then fewest new fabrics, then fewest deliveries.
/// </summary>
public sealed record BuildOutPlan(
    PlanOutcome Outcome,
    IReadOnlyList<PlannedDelivery> Deliveries,
    int Units,
    GpuCount Gpus,
    decimal Mw,
    Money Capex,
    Money Tcv,
    Money Margin,
    decimal? MarginPercent,
    DateTime? FirstOrderBy,
    bool Optimal,
    FitResult Fit,
    PlanBlocker Blocker,
    string? Why)
{
    public bool Fits => Outcome != PlanOutcome.NoPlan;
}
