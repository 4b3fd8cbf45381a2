using Lessor.Core.Generation;

namespace Lessor.Core.Risk;

/// <summary>
/// Uniform draws for one (run seed, trial, stream): a trial's draws never depend on which thread or shard runs it, and
/// each stream (delays, one per site for failures) is independent of how many draws the others took.
/// </summary>
internal sealed class RiskRandom
{
    private readonly Xoshiro256 _rng;

    public RiskRandom(ulong seed, long trial, long stream) => _rng = new Xoshiro256(Mix(seed ^ Mix(unchecked((ulong)trial * 0x9E3779B97F4A7C15UL + (ulong)stream * 0xD1B54A32D192ED03UL + 1))));

    /// <summary>Uniform in [0, 1).</summary>
    public double Next() => _rng.NextDouble();

    private static ulong Mix(ulong z)
    {
        unchecked
        {
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }
    }
}
