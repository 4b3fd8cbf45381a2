namespace Lessor.Core.Risk;

/// <summary>
/// The fleet failure model per (site, month) cell, for trials: interruptions on a contract's GPUs at a site in a month
/// are Poisson (splitting a Poisson process by owner is exact), at rate (GPU-hours x availability / GPU-hours between
/// failures); a spare-consuming one finds every spare busy with Erlang's loss probability B(S, a) (the hot-spare pool is
/// an M/G/S/S system: S spares, a = spare demands per hour x mean repair hours; insensitive to the repair distribution);
/// availability A = MTBF / (MTBF + MTTR) with MTTR the mean downtime per interruption, solved with B by fixed point.
/// <see cref="FleetSimulation"/> is the event-by-event reference this is checked against (tests); trials use this one
/// because a 300,000-GPU fleet has about 300,000 interruptions a year and 10,000 trials must run in a minute.
/// </summary>
internal sealed class FailureCells
{
    private const int ExactSumUpTo = 30;
    private readonly FailureModel _m;
    private readonly FailureCause[] _spare;
    private readonly FailureCause[] _other;
    private readonly double _pSpare;
    private readonly double _spareMean, _spareVar, _otherMean, _otherVar;

    public FailureCells(FailureModel model)
    {
        _m = model;
        var total = model.Causes.Sum(c => c.Share);
        _spare = [.. model.Causes.Where(c => c.UsesSpare && c.Share > 0)];
        _other = [.. model.Causes.Where(c => !c.UsesSpare && c.Share > 0)];
        _pSpare = total > 0 ? _spare.Sum(c => c.Share) / total : 0;
        (_spareMean, _spareVar) = Mixture(_spare);
        (_otherMean, _otherVar) = Mixture(_other);
        HoursPerDomainFailure = model.GpuHoursBetweenFailures / model.GpusPerFailure;
        SwapHours = model.SwapMinutes / 60;
    }

    public double HoursPerDomainFailure { get; }
    public double SwapHours { get; }
    public int GpusPerFailure => _m.GpusPerFailure;

    /// <summary>For a cell with <paramref name="domains"/> in service on average and <paramref name="spares"/> hot spares: availability and the stockout probability.</summary>
    public (double Availability, double Stockout) Steady(double domains, int spares)
    {
        // The same fleet size recurs month after month and trial after trial: a pure function, so cached (one per worker).
        if (_steady.TryGetValue((domains, spares), out var known)) return known;
        var a = 1.0;
        var b = 0.0;
        for (var i = 0; i < 4; i++)
        {
            var demandsPerHour = domains * a / HoursPerDomainFailure * _pSpare;
            b = ErlangB(spares, demandsPerHour * _spareMean);
            var mttr = _pSpare * ((1 - b) * SwapHours + b * _spareMean) + (1 - _pSpare) * _otherMean;
            a = HoursPerDomainFailure / (HoursPerDomainFailure + mttr);
        }
        if (_steady.Count > 100_000) _steady.Clear();
        _steady[(domains, spares)] = (a, b);
        return (a, b);
    }

    private readonly Dictionary<(double, int), (double, double)> _steady = [];

    /// <summary>Domain-hours down for one owner's share of a cell: <paramref name="failures"/> expected interruptions.</summary>
    public double Down(double failures, double stockout, RiskRandom rng, ref long demands, ref long stockouts)
    {
        var ns = PoissonInv(failures * _pSpare, rng.Next());
        var ks = BinomialInv(ns, stockout, rng.Next());
        var no = PoissonInv(failures * (1 - _pSpare), rng.Next());
        demands += ns;
        stockouts += ks;
        return (ns - ks) * SwapHours + Sum(ks, _spare, _spareMean, _spareVar, rng) + Sum(no, _other, _otherMean, _otherVar, rng);
    }

    /// <summary>Erlang's loss formula by its stable recursion; zero where the Poisson tail past S is below 1e-12.</summary>
    public static double ErlangB(int servers, double load)
    {
        if (load <= 0) return 0;
        // P(N >= S) for N ~ Poisson(a) is below 1e-12 there, and B(S, a) <= P(N = S) / P(N <= S).
        if (servers > load + 8 * Math.Sqrt(load) + 12) return 0;
        var b = 1.0;
        for (var k = 1; k <= servers; k++) b = load * b / (k + load * b);
        return b;
    }

    private static double Sum(long n, FailureCause[] causes, double mean, double variance, RiskRandom rng)
    {
        if (n == 0 || causes.Length == 0) return 0;
        if (n > ExactSumUpTo) return Math.Max(0, n * mean + Math.Sqrt(n * variance) * Z(rng.Next()));
        var total = 0.0;
        var shares = 0.0;
        foreach (var c in causes) shares += c.Share;
        for (var i = 0; i < n; i++)
        {
            var u = rng.Next() * shares;
            var cause = causes[^1];
            foreach (var c in causes)
            {
                if (u < c.Share) { cause = c; break; }
                u -= c.Share;
            }
            total += cause.RepairHours.Quantile(rng.Next());
        }
        return total;
    }

    private static (double Mean, double Variance) Mixture(FailureCause[] causes)
    {
        var p = causes.Sum(c => c.Share);
        if (p <= 0) return (0, 0);
        var mean = causes.Sum(c => c.Share * c.RepairHours.ExpectedValue) / p;
        var second = causes.Sum(c => c.Share * (c.RepairHours.Variance + c.RepairHours.ExpectedValue * c.RepairHours.ExpectedValue)) / p;
        return (mean, Math.Max(0, second - mean * mean));
    }

    /// <summary>
    /// The standard normal quantile by Acklam's rational approximation (within 1e-5 relative of MathNet, as tested): called a few times per
    /// cell in every trial, where MathNet's erf-based InvCDF costs several times more; checked against it in the tests.
    /// </summary>
    internal static double Z(double u)
    {
        u = Math.Clamp(u, 1e-12, 1 - 1e-12);
        const double plow = 0.02425;
        if (u < plow)
        {
            var q = Math.Sqrt(-2 * Math.Log(u));
            return (((((C1 * q + C2) * q + C3) * q + C4) * q + C5) * q + C6) / ((((D1 * q + D2) * q + D3) * q + D4) * q + 1);
        }
        if (u > 1 - plow)
        {
            var q = Math.Sqrt(-2 * Math.Log(1 - u));
            return -(((((C1 * q + C2) * q + C3) * q + C4) * q + C5) * q + C6) / ((((D1 * q + D2) * q + D3) * q + D4) * q + 1);
        }
        var x = u - 0.5;
        var r = x * x;
        return (((((A1 * r + A2) * r + A3) * r + A4) * r + A5) * r + A6) * x / (((((B1 * r + B2) * r + B3) * r + B4) * r + B5) * r + 1);
    }

    private const double A1 = -3.969683028665376e+01, A2 = 2.209460984245205e+02, A3 = -2.759285104469687e+02, A4 = 1.383577518672690e+02, A5 = -3.066479806614716e+01, A6 = 2.506628277459239e+00;
    private const double B1 = -5.447609879822406e+01, B2 = 1.615858368580409e+02, B3 = -1.556989798598866e+02, B4 = 6.680131188771972e+01, B5 = -1.328068155288572e+01;
    private const double C1 = -7.784894002430293e-03, C2 = -3.223964580411365e-01, C3 = -2.400758277161838e+00, C4 = -2.549671180276700e+00, C5 = 4.374664141464968e+00, C6 = 2.938163982698783e+00;
    private const double D1 = 7.784695709041462e-03, D2 = 3.224671290700398e-01, D3 = 2.445134137142996e+00, D4 = 3.754408661907416e+00;

    /// <summary>Poisson by inversion (one uniform): exact below a mean of 30, normal with continuity correction above.</summary>
    internal static long PoissonInv(double mean, double u)
    {
        if (mean <= 0) return 0;
        if (mean >= 30) return Math.Max(0, (long)Math.Floor(mean + Math.Sqrt(mean) * Z(u) + 0.5));
        var p = Math.Exp(-mean);
        var f = p;
        long k = 0;
        while (u > f && k < 1000)
        {
            k++;
            p *= mean / k;
            f += p;
        }
        return k;
    }

    /// <summary>Binomial by inversion (one uniform): exact while n p (1 - p) is below 25, normal above.</summary>
    internal static long BinomialInv(long n, double p, double u)
    {
        if (n == 0 || p <= 0) return 0;
        if (p >= 1) return n;
        var v = n * p * (1 - p);
        if (v >= 25 || n > 2000) return Math.Clamp((long)Math.Floor(n * p + Math.Sqrt(v) * Z(u) + 0.5), 0, n);
        var q = Math.Pow(1 - p, n);
        var f = q;
        long k = 0;
        while (u > f && k < n)
        {
            q *= (double)(n - k) / (k + 1) * p / (1 - p);
            k++;
            f += q;
        }
        return k;
    }
}
