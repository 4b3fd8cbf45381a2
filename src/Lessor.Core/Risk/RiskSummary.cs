using Lessor.Core.Model;

namespace Lessor.Core.Risk;

/// <summary>P10 / P50 / P90 and the mean of one figure in one quarter over the trials.</summary>
public sealed record Fan(string Quarter, decimal P10, decimal P50, decimal P90, decimal Mean);

/// <summary>How often a line started short, over the trials.</summary>
public sealed record LineShortRisk(string Line, double Probability);

/// <summary>A contract's expected SLA credits and the share of its covered months that met the target.</summary>
public sealed record ContractSlaRisk(string Contract, Money ExpectedCredits, double Attainment);

/// <summary>What a run says: fans per quarter, next year's revenue range, lines likely to start short, expected credits.</summary>
public sealed record RiskSummary(
    int Trials, ulong Seed, string Policy, Currency Currency,
    IReadOnlyList<Fan> Revenue, IReadOnlyList<Fan> RpoConverted, IReadOnlyList<Fan> Credits,
    IReadOnlyList<Fan> MwEnergized, IReadOnlyList<Fan> MwInService, IReadOnlyList<Fan> ShortStarts,
    Fan NextYearRevenue, IReadOnlyList<LineShortRisk> Lines, IReadOnlyList<ContractSlaRisk> Contracts)
{
    /// <summary>Nearest-rank percentiles over the trials (exact, no interpolation): the same trials give the same figures.</summary>
    public static RiskSummary Of(RiskRun run, int nextYearQuarters)
    {
        ArgumentNullException.ThrowIfNull(run);
        var rows = run.Rows;
        Fan[] Fans(Func<RiskTrial, int, decimal> pick) =>
            [.. run.Quarters.Select((label, q) => FanOf(label, rows.Select(r => pick(r, q))))];
        var lineCounts = new int[run.Lines.Count];
        var credit = new decimal[run.Contracts.Count];
        var below = new long[run.Contracts.Count];
        foreach (var r in rows)
        {
            foreach (var l in r.ShortLines) lineCounts[l]++;
            foreach (var c in r.ContractCredits)
            {
                credit[c.Contract] += c.Credit;
                below[c.Contract] += c.MonthsBelow;
            }
        }
        var n = Math.Max(1, rows.Count);
        var lines = new List<LineShortRisk>();
        for (var i = 0; i < lineCounts.Length; i++) if (lineCounts[i] > 0) lines.Add(new LineShortRisk(run.Lines[i], (double)lineCounts[i] / n));
        lines.Sort((a, b) => b.Probability != a.Probability ? b.Probability.CompareTo(a.Probability) : string.CompareOrdinal(a.Line, b.Line));
        var contracts = new List<ContractSlaRisk>();
        for (var c = 0; c < run.Contracts.Count; c++)
        {
            if (run.ContractMonths[c] == 0) continue;
            contracts.Add(new ContractSlaRisk(run.Contracts[c], new Money(credit[c] / n, run.Currency), 1 - (double)below[c] / ((double)run.ContractMonths[c] * n)));
        }
        contracts.Sort((a, b) => b.ExpectedCredits.Amount != a.ExpectedCredits.Amount ? b.ExpectedCredits.Amount.CompareTo(a.ExpectedCredits.Amount) : string.CompareOrdinal(a.Contract, b.Contract));
        var nextYear = FanOf("next 12 months", rows.Select(r => NextYear(r, nextYearQuarters)));
        return new RiskSummary(rows.Count, run.Seed, run.Policy, run.Currency,
            Fans((r, q) => r.Revenue[q]), Fans((r, q) => r.RpoConverted[q]), Fans((r, q) => r.Credits[q]),
            Fans((r, q) => r.MwEnergized[q]), Fans((r, q) => r.MwInService[q]), Fans((r, q) => r.ShortStarts[q]),
            nextYear, lines, contracts);
    }

    /// <summary>Revenue of a trial's first quarters (the next twelve months when the window starts on a quarter).</summary>
    public static decimal NextYear(RiskTrial r, int quarters)
    {
        var sum = 0m;
        for (var q = 0; q < Math.Min(quarters, r.Revenue.Length); q++) sum += r.Revenue[q];
        return sum;
    }

    public static Fan FanOf(string label, IEnumerable<decimal> values)
    {
        var sorted = values.ToArray();
        Array.Sort(sorted);
        if (sorted.Length == 0) return new Fan(label, 0, 0, 0, 0);
        var sum = 0m;
        foreach (var v in sorted) sum += v;
        return new Fan(label, Rank(sorted, 0.1), Rank(sorted, 0.5), Rank(sorted, 0.9), sum / sorted.Length);
    }

    private static decimal Rank(decimal[] sorted, double p) => sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];
}

/// <summary>
/// Two policies on the same draws (common random numbers): the mean per-trial difference (B - A) of next year's revenue
/// and of credits over the window, each with its 95% confidence interval (normal approximation, mean +- 1.96 sd / sqrt(n)).
/// </summary>
public sealed record PolicyComparison(string A, string B, int Trials, Money RevenueDifference, Money RevenueHalfWidth, Money CreditDifference, Money CreditHalfWidth)
{
    public static PolicyComparison Of(RiskRun a, RiskRun b, int nextYearQuarters)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (a.Seed != b.Seed || a.Rows.Count != b.Rows.Count || a.From != b.From || a.Until != b.Until)
            throw new ArgumentException("Compare two runs of the same seed, window and trials.", nameof(b));
        var n = a.Rows.Count;
        var rev = new double[n];
        var cred = new double[n];
        for (var i = 0; i < n; i++)
        {
            if (a.Rows[i].Trial != b.Rows[i].Trial) throw new ArgumentException("The runs hold different trials.", nameof(b));
            rev[i] = (double)(RiskSummary.NextYear(b.Rows[i], nextYearQuarters) - RiskSummary.NextYear(a.Rows[i], nextYearQuarters));
            cred[i] = (double)(b.Rows[i].Credits.Sum() - a.Rows[i].Credits.Sum());
        }
        var (rm, rh) = MeanAndHalfWidth(rev);
        var (cm, ch) = MeanAndHalfWidth(cred);
        var cur = a.Currency;
        return new PolicyComparison(a.Policy, b.Policy, n, new Money(Round(rm), cur), new Money(Round(rh), cur), new Money(Round(cm), cur), new Money(Round(ch), cur));
    }

    /// <summary>Sample mean and the 95% half-width 1.96 s / sqrt(n).</summary>
    public static (double Mean, double HalfWidth) MeanAndHalfWidth(IReadOnlyList<double> x)
    {
        var n = x.Count;
        if (n == 0) return (0, 0);
        var mean = 0.0;
        foreach (var v in x) mean += v;
        mean /= n;
        if (n < 2) return (mean, 0);
        var ss = 0.0;
        foreach (var v in x) ss += (v - mean) * (v - mean);
        return (mean, 1.96 * Math.Sqrt(ss / (n - 1)) / Math.Sqrt(n));
    }

    private static decimal Round(double x) => Math.Round((decimal)x, 2, MidpointRounding.AwayFromZero);
}
