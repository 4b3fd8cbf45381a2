using Lessor.Core.Model;

namespace Lessor.Core.Finance;

/// <summary>
/// Where finance learns how many of a committed line's GPUs sit on accepted units over time. The capacity
/// ledger implements it; tests and what-if runs pass maps. Null means "fully covered for the whole line period".
/// </summary>
public interface ICoverageSource
{
    IReadOnlyList<CoverageStep>? Coverage(LineRef line);
}

/// <summary>Ready-made coverage sources: everything covered, a delegate, or a map with the rest fully covered.</summary>
public static class CoverageSource
{
    /// <summary>Every line fully covered: revenue follows the contracts alone.</summary>
    public static ICoverageSource Full { get; } = new FullCoverage();

    public static ICoverageSource From(Func<LineRef, IReadOnlyList<CoverageStep>?> coverage) => new DelegateCoverage(coverage);

    /// <summary>Lines in the map get their steps; all others are fully covered.</summary>
    public static ICoverageSource FromMap(IReadOnlyDictionary<LineRef, IReadOnlyList<CoverageStep>> steps) =>
        new DelegateCoverage(line => steps.TryGetValue(line, out var s) ? s : null);

    private sealed class FullCoverage : ICoverageSource
    {
        public IReadOnlyList<CoverageStep>? Coverage(LineRef line) => null;
    }

    private sealed class DelegateCoverage(Func<LineRef, IReadOnlyList<CoverageStep>?> coverage) : ICoverageSource
    {
        public IReadOnlyList<CoverageStep>? Coverage(LineRef line) => coverage(line);
    }
}
