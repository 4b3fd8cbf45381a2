using Lessor.Core.Model;

namespace Lessor.Core.Generation;

/// <summary>Knobs of <see cref="ScenarioGenerator"/>. Equal options give an identical scenario on every machine.</summary>
public sealed record GeneratorOptions
{
    /// <summary>GPUs delivered over the horizon (scale mode; rounded down to whole units). Ignored in facts mode, whose size the facts fix.</summary>
    public int Gpus { get; init; } = 50_000;

    public ulong Seed { get; init; } = 1;

    /// <summary>Generate the bundled operator that reproduces the public facts instead of a synthetic book of size <see cref="Gpus"/>.</summary>
    public bool Facts { get; init; }

    /// <summary>First day lines may start (deliveries may precede it by up to a year).</summary>
    public DateTime HorizonStart { get; init; } = Utc.Date(2024, 1, 1);

    /// <summary>Exclusive end of the horizon: no line or envelope step reaches past it.</summary>
    public DateTime HorizonEnd { get; init; } = Utc.Date(2036, 1, 1);

    /// <summary>The "today" that delivery statuses are relative to: accepted before it, ordered or planned after.</summary>
    public DateTime AsOf { get; init; } = Utc.Date(2026, 6, 30);

    /// <summary>Scale mode: the share of delivered capacity the book aims to commit (0.5-0.95).</summary>
    public double TargetUtilization { get; init; } = 0.8;

    public Currency Currency { get; init; } = Currency.Usd;
}
