namespace Lessor.Core.Model;

/// <summary>
/// From <see cref="From"/> on (until the next step), <see cref="Gpus"/> of a line's committed GPUs sit on
/// accepted units. The ledger produces these per line; finance recognizes revenue only on covered GPUs,
/// so a slipped delivery moves revenue later instead of losing it.
/// </summary>
public sealed record CoverageStep(DateTime From, GpuCount Gpus);
