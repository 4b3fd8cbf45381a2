namespace Lessor.Core.Generation;

/// <summary>
/// xoshiro256** seeded through SplitMix64: the generator's only source of randomness. Written here rather than
/// using System.Random so a seed gives the same scenario on every machine and .NET version; only integer
/// arithmetic is used, and doubles are built from 53 bits exactly.
/// </summary>
internal sealed class Xoshiro256
{
    private ulong _s0, _s1, _s2, _s3;

    public Xoshiro256(ulong seed)
    {
        var sm = seed;
        _s0 = SplitMix64(ref sm);
        _s1 = SplitMix64(ref sm);
        _s2 = SplitMix64(ref sm);
        _s3 = SplitMix64(ref sm);
    }

    private static ulong SplitMix64(ref ulong state)
    {
        unchecked
        {
            state += 0x9E3779B97F4A7C15UL;
            var z = state;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }
    }

    public ulong NextU64()
    {
        unchecked
        {
            var result = RotateLeft(_s1 * 5, 7) * 9;
            var t = _s1 << 17;
            _s2 ^= _s0;
            _s3 ^= _s1;
            _s1 ^= _s2;
            _s0 ^= _s3;
            _s2 ^= t;
            _s3 = RotateLeft(_s3, 45);
            return result;
        }
    }

    private static ulong RotateLeft(ulong x, int k) => (x << k) | (x >> (64 - k));

    /// <summary>Uniform in [0, n), without modulo bias (Lemire's multiply-and-reject).</summary>
    public int NextInt(int n)
    {
        if (n <= 0) throw new ArgumentOutOfRangeException(nameof(n), n, "Upper bound must be positive.");
        var bound = (ulong)n;
        var threshold = unchecked(0UL - bound) % bound;
        while (true)
        {
            var x = NextU64();
            var hi = Math.BigMul(x, bound, out var lo);
            if (lo >= threshold) return (int)hi;
        }
    }

    /// <summary>Uniform in [lo, hi] inclusive.</summary>
    public int Between(int lo, int hi) => lo + NextInt(checked(hi - lo + 1));

    /// <summary>Uniform in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (NextU64() >> 11) * (1.0 / 9007199254740992.0);

    public bool Chance(double p) => NextDouble() < p;

    /// <summary>Index drawn with probability proportional to its weight; weights are non-negative, one positive.</summary>
    public int Pick(ReadOnlySpan<double> weights)
    {
        var total = 0.0;
        foreach (var w in weights) total += w;
        if (!(total > 0)) throw new ArgumentException("At least one weight must be positive.", nameof(weights));
        var x = NextDouble() * total;
        var last = -1;
        for (var i = 0; i < weights.Length; i++)
        {
            if (weights[i] <= 0) continue;
            last = i;
            x -= weights[i];
            if (x < 0) return i;
        }
        return last;
    }
}
