using Lessor.Core.Model;

namespace Lessor.Core.Finance;

/// <summary>How run-rate annualizes recent revenue; there is no standard, so every report names the one it used.</summary>
public enum RunRateMethod
{
    /// <summary>Revenue of the last complete calendar month before as-of, times 12.</summary>
    LatestMonthTimes12,

    /// <summary>Revenue of the last complete calendar quarter before as-of, times 4.</summary>
    LatestQuarterTimes4,
}

/// <summary>Choices a finance report makes that have no single right answer.</summary>
public sealed record FinanceSettings
{
    public static FinanceSettings Default { get; } = new();

    public RunRateMethod RunRate { get; init; } = RunRateMethod.LatestMonthTimes12;

    /// <summary>When true, deliveries not yet marked accepted count as active once their acceptance date has passed (planning views).</summary>
    public bool CountExpectedDeliveries { get; init; }
}

/// <summary>
/// The KPIs of one slice of the business (the whole book, a customer, a platform, a site or a region). Power and
/// utilization are null where a slice has no meaning for them (customers). Active MW is the energized envelope of
/// sites in service; drawn MW is the IT draw of accepted units within it; revenue per MW-year is run-rate / active MW.
/// </summary>
public sealed record KpiSlice(
    string Key,
    Money Tcv,
    Money Recognized,
    Money Forfeited,
    Money Rpo,
    Money OtherCommitted,
    Money Backlog,
    Money NextTwelveMonths,
    Money RunRate,
    decimal? ActiveMw,
    decimal? DrawnMw,
    decimal? ContractedMw,
    Money? RevenuePerMwYear,
    decimal? Utilization);

/// <summary>KPIs as of an instant, with the run-rate method and window they used, in total and by dimension.</summary>
public sealed record FinanceKpis(
    DateTime AsOf,
    Currency Currency,
    RunRateMethod RunRateMethod,
    Period RunRateWindow,
    Period UtilizationWindow,
    KpiSlice Total,
    IReadOnlyList<KpiSlice> ByCustomer,
    IReadOnlyList<KpiSlice> ByPlatform,
    IReadOnlyList<KpiSlice> BySite,
    IReadOnlyList<KpiSlice> ByRegion)
{
    /// <summary>"latest month x 12" or "latest quarter x 4", for report headers.</summary>
    public string RunRateName => FinanceReport.Describe(RunRateMethod);

    public IReadOnlyList<KpiSlice> By(FinanceDimension d) => d switch
    {
        FinanceDimension.Customer => ByCustomer,
        FinanceDimension.Platform => ByPlatform,
        FinanceDimension.Site => BySite,
        _ => ByRegion,
    };
}

/// <summary>Operator KPIs (TCV, recognized, RPO, backlog, run-rate, MW, revenue per MW, utilization) as of any instant.</summary>
public static class FinanceReport
{
    public static string Describe(RunRateMethod m) => m == RunRateMethod.LatestMonthTimes12 ? "latest month x 12" : "latest quarter x 4";

    /// <summary>The window run-rate annualizes: the last complete calendar month or quarter ending at or before asOf.</summary>
    public static Period RunRateWindow(DateTime asOf, RunRateMethod method)
    {
        var month = YearMonth.Of(asOf);
        if (method == RunRateMethod.LatestMonthTimes12)
        {
            var m = month.Previous;
            return m.Period;
        }
        var quarterStart = new YearMonth(month.Year, (month.Month - 1) / 3 * 3 + 1);
        var q = quarterStart.AddMonths(-3);
        return new Period(q.Start, quarterStart.Start);
    }

    public static FinanceKpis Kpis(Scenario scenario, ICoverageSource coverage, DateTime asOf, FinanceSettings settings) =>
        Kpis(FinanceBook.Build(scenario, coverage), asOf, settings);

    public static FinanceKpis Kpis(FinanceBook book, DateTime asOf, FinanceSettings settings)
    {
        var scenario = book.Scenario;
        var currency = scenario.Currency;
        foreach (var c in scenario.Contracts)
            if (c.Currency != currency)
                throw new InvalidOperationException($"Contract '{c.Id}' is in {c.Currency}, the scenario reports in {currency}; KPIs need one currency.");

        var a = Minutes.Floor(asOf);
        var window = RunRateWindow(asOf, settings.RunRate);
        var r0 = Minutes.Floor(window.Start);
        var r1 = Minutes.Floor(window.End);
        // Utilization is over the latest complete month whatever the run-rate method.
        var utilizationWindow = RunRateWindow(asOf, RunRateMethod.LatestMonthTimes12);
        var u0 = Minutes.Floor(utilizationWindow.Start);
        var u1 = Minutes.Floor(utilizationWindow.End);
        var n1 = Minutes.Floor(asOf.AddMonths(12));
        var factor = settings.RunRate == RunRateMethod.LatestMonthTimes12 ? 12m : 4m;

        var acc = new Accumulator[4];
        for (var d = 0; d < 4; d++) acc[d] = new Accumulator(book.KeyCount((FinanceDimension)d));
        var total = new Accumulator(1);
        var backstopRecognized = new decimal[book.Contracts.Count];
        var isBackstop = new bool[book.Contracts.Count];
        // A contract signed after asOf was not in the book then: it adds nothing to any figure or breakdown.
        var signedLater = new bool[book.Contracts.Count];
        for (var c = 0; c < isBackstop.Length; c++)
        {
            isBackstop[c] = book.Contracts[c].Contract.Kind == ContractKind.Backstop;
            signedLater[c] = Minutes.Floor(book.Contracts[c].Contract.SignedOn) > a;
        }

        var lines = book.Lines;
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i];
            if (line.CommittedFromMinute > a) continue; // an option exercised after asOf is not in the book yet
            var c = book.LineContract[i];
            if (signedLater[c]) continue;
            var v = new Amounts
            {
                Rec = line.AmountBefore(a),
                Ntm = line.AmountIn(a, n1),
                RunRate = line.AmountIn(r0, r1),
                GpuMinutes = line.GpuMinutesIn(u0, u1),
            };
            if (isBackstop[c]) backstopRecognized[c] += v.Rec;
            else
            {
                v.Tcv = line.CommittedValueAmount;
                v.RecTop = v.Rec;
                // Value a late delivery took for good (forfeited by the contract, never covered, or cut by a cancellation
                // before it was made up) is not owed any more: it leaves RPO and is reported on its own.
                v.Forfeited = Math.Max(0m, line.CommittedValueAmount - line.ScheduledAmount);
            }
            AddLine(book, acc, total, i, v);
        }

        for (var c = 0; c < book.Contracts.Count; c++)
        {
            if (signedLater[c]) continue;
            var cs = book.Contracts[c];
            var v = new Amounts();
            if (cs.FeeAmount != 0m)
            {
                var m = cs.FeeMinute;
                v.Rec = m < a ? cs.FeeAmount : 0m;
                v.Ntm = a <= m && m < n1 ? cs.FeeAmount : 0m;
                v.RunRate = r0 <= m && m < r1 ? cs.FeeAmount : 0m;
                if (isBackstop[c]) backstopRecognized[c] += v.Rec;
                else
                {
                    v.Tcv = cs.FeeAmount;
                    v.RecTop = v.Rec;
                }
            }
            if (isBackstop[c] && cs.Contract.BackstopCap is { } cap && (cs.Contract.BackstopPeriod is not { } bp || a < Minutes.Floor(bp.End)))
                v.Other = Math.Max(0m, cap.Amount - backstopRecognized[c]);
            if (v.IsZero) continue;
            var first = book.ContractFirstLine[c];
            if (first >= 0 && v.Other == 0m) AddLine(book, acc, total, first, v);
            else
            {
                // Unconsumed backstop capacity belongs to the customer but to no platform or site yet.
                acc[(int)FinanceDimension.Customer].Add(book.ContractCustomerKey[c], v, 1m);
                acc[(int)FinanceDimension.Platform].Add(book.Key(FinanceDimension.Platform, FinanceBook.AnyPlatform), v, 1m);
                acc[(int)FinanceDimension.Site].Add(book.Key(FinanceDimension.Site, FinanceBook.Unplaced), v, 1m);
                acc[(int)FinanceDimension.Region].Add(book.Key(FinanceDimension.Region, FinanceBook.Unplaced), v, 1m);
                total.Add(0, v, 1m);
            }
        }

        // Breakdowns in cents that add up to the total's cents exactly, whatever the rounding of each slice.
        // Run-rate is annualized before rounding, so the slices' rounded run-rates add up to the total's.
        total.Annualize(factor);
        total.RoundAsTotal();
        for (var d = 0; d < 4; d++)
        {
            acc[d].Annualize(factor);
            acc[d].ApportionTo(total);
        }

        var power = Power.Compute(book, a, u0, u1, settings.CountExpectedDeliveries);
        var slices = new IReadOnlyList<KpiSlice>[4];
        for (var d = 0; d < 4; d++)
        {
            var dim = (FinanceDimension)d;
            var count = book.KeyCount(dim);
            var list = new KpiSlice[count];
            for (var k = 0; k < count; k++)
            {
                var p = power.Of(dim, k, acc[d].GpuMinutes[k]);
                list[k] = Slice(book.KeyName(dim, k), acc[d], k, currency, p);
            }
            Array.Sort(list, (x, y) => string.CompareOrdinal(x.Key, y.Key));
            slices[d] = list;
        }
        var totalPower = power.Total(total.GpuMinutes[0]);
        return new FinanceKpis(asOf, currency, settings.RunRate, window, utilizationWindow,
            Slice("total", total, 0, currency, totalPower), slices[0], slices[1], slices[2], slices[3]);
    }

    private static void AddLine(FinanceBook book, Accumulator[] acc, Accumulator total, int line, Amounts v)
    {
        total.Add(0, v, 1m);
        acc[(int)FinanceDimension.Customer].Add(book.LineCustomerKey[line], v, 1m);
        acc[(int)FinanceDimension.Platform].Add(book.LinePlatformKey[line], v, 1m);
        for (var j = book.LinePlaceStart[line]; j < book.LinePlaceStart[line + 1]; j++)
        {
            acc[(int)FinanceDimension.Site].Add(book.PlaceSiteKey[j], v, book.PlaceWeight[j]);
            acc[(int)FinanceDimension.Region].Add(book.PlaceRegionKey[j], v, book.PlaceWeight[j]);
        }
    }

    /// <summary>
    /// One slice's figures as reported: money in cents (half away from zero, the invoices' rule; breakdowns apportioned so
    /// they add up to the total, see <see cref="Apportion"/>), RPO and backlog derived from the rounded parts so TCV =
    /// recognized + forfeited + RPO holds exactly as shown; MW to four decimals (0.1 kW) and utilization to six.
    /// </summary>
    private static KpiSlice Slice(string key, Accumulator acc, int k, Currency currency, PowerFigures p)
    {
        // Every money figure is already in cents (RoundAsTotal / ApportionTo).
        var rpo = acc.Rpo[k];
        var runRate = acc.RunRate[k];
        Money? perMw = p.ActiveMw is > 0m ? new Money(RevenueReport.Cents(runRate / p.ActiveMw.Value), currency) : null;
        return new KpiSlice(key,
            new Money(acc.Tcv[k], currency),
            new Money(acc.Rec[k], currency),
            new Money(acc.Forfeited[k], currency),
            new Money(rpo, currency),
            new Money(acc.Other[k], currency),
            new Money(rpo + acc.Other[k], currency),
            new Money(acc.Ntm[k], currency),
            new Money(runRate, currency),
            Mw(p.ActiveMw), Mw(p.DrawnMw), Mw(p.ContractedMw), perMw,
            p.Utilization is { } u ? Math.Round(u, 6, MidpointRounding.AwayFromZero) : null);
    }

    private static decimal? Mw(decimal? mw) => mw is { } v ? Math.Round(v, 4, MidpointRounding.AwayFromZero) : null;

    /// <summary>
    /// Rounds parts to cents so they add up to the whole's cents (largest remainder: each part rounded down, then the
    /// cents left over go to the largest remainders, ties to the lower index), so a breakdown always sums to its total.
    /// </summary>
    internal static void Apportion(decimal[] parts, decimal whole)
    {
        var target = RevenueReport.Cents(whole);
        var floor = new decimal[parts.Length];
        var sum = 0m;
        for (var i = 0; i < parts.Length; i++)
        {
            floor[i] = Math.Floor(parts[i] * 100m) / 100m;
            sum += floor[i];
        }
        var cents = (long)Math.Round((target - sum) * 100m);
        if (cents > 0 && cents <= parts.Length)
        {
            var order = new int[parts.Length];
            for (var i = 0; i < order.Length; i++) order[i] = i;
            Array.Sort(order, (x, y) =>
            {
                var c = (parts[y] - floor[y]).CompareTo(parts[x] - floor[x]);
                return c != 0 ? c : x.CompareTo(y);
            });
            for (var i = 0; i < cents; i++) floor[order[i]] += 0.01m;
        }
        else if (cents != 0)
        {
            // Parts that do not add up to the whole (decimal noise far below a cent never gets here): round each on its own.
            for (var i = 0; i < parts.Length; i++) floor[i] = RevenueReport.Cents(parts[i]);
        }
        Array.Copy(floor, parts, parts.Length);
    }

    /// <summary>The amounts one line or contract item contributes to a slice.</summary>
    private struct Amounts
    {
        public decimal Tcv;
        public decimal Rec;
        public decimal RecTop;
        public decimal Forfeited;
        public decimal Other;
        public decimal Ntm;
        public decimal RunRate;
        public decimal GpuMinutes;

        public readonly bool IsZero => Tcv == 0m && Rec == 0m && Forfeited == 0m && Other == 0m && Ntm == 0m && RunRate == 0m && GpuMinutes == 0m;
    }

    /// <summary>Running sums per key of one dimension (dense arrays, one slot per key).</summary>
    private sealed class Accumulator(int keys)
    {
        public readonly decimal[] Tcv = new decimal[keys];
        public readonly decimal[] Rec = new decimal[keys];
        public readonly decimal[] RecTop = new decimal[keys];
        public readonly decimal[] Forfeited = new decimal[keys];
        public readonly decimal[] Other = new decimal[keys];
        public readonly decimal[] Ntm = new decimal[keys];
        public readonly decimal[] RunRate = new decimal[keys];
        public readonly decimal[] GpuMinutes = new decimal[keys];

        public readonly decimal[] Rpo = new decimal[keys];
        public readonly decimal[] RecBackstop = new decimal[keys];

        /// <summary>
        /// The total in cents: TCV is rounded and split into recognized, forfeited and RPO by largest remainder, so TCV =
        /// recognized + forfeited + RPO as shown and none of them turns negative by a rounding cent.
        /// </summary>
        public void RoundAsTotal()
        {
            Derive();
            var parts = new[] { RecTop[0], Forfeited[0], Rpo[0] };
            Apportion(parts, Tcv[0]);
            (RecTop[0], Forfeited[0], Rpo[0]) = (parts[0], parts[1], parts[2]);
            Tcv[0] = parts[0] + parts[1] + parts[2];
            RecBackstop[0] = RevenueReport.Cents(RecBackstop[0]);
            Rec[0] = RecTop[0] + RecBackstop[0];
            Other[0] = RevenueReport.Cents(Other[0]);
            Ntm[0] = RevenueReport.Cents(Ntm[0]);
            RunRate[0] = RevenueReport.Cents(RunRate[0]);
        }

        /// <summary>
        /// Each key in cents such that, per figure, the keys add up to the rounded total; TCV and recognized are the sums
        /// of their rounded parts, so every slice keeps TCV = recognized + forfeited + RPO too.
        /// </summary>
        public void ApportionTo(Accumulator total)
        {
            Derive();
            Apportion(RecTop, total.RecTop[0]);
            Apportion(Forfeited, total.Forfeited[0]);
            Apportion(Rpo, total.Rpo[0]);
            Apportion(RecBackstop, total.RecBackstop[0]);
            for (var k = 0; k < Tcv.Length; k++)
            {
                Tcv[k] = RecTop[k] + Forfeited[k] + Rpo[k];
                Rec[k] = RecTop[k] + RecBackstop[k];
            }
            Apportion(Other, total.Other[0]);
            Apportion(Ntm, total.Ntm[0]);
            Apportion(RunRate, total.RunRate[0]);
        }

        private void Derive()
        {
            for (var k = 0; k < Tcv.Length; k++)
            {
                Rpo[k] = Tcv[k] - RecTop[k] - Forfeited[k];
                RecBackstop[k] = Rec[k] - RecTop[k];
            }
        }

        public void Annualize(decimal factor)
        {
            for (var k = 0; k < RunRate.Length; k++) RunRate[k] *= factor;
        }

        public void Add(int k, in Amounts v, decimal w)
        {
            if (w == 1m)
            {
                Tcv[k] += v.Tcv; Rec[k] += v.Rec; RecTop[k] += v.RecTop; Forfeited[k] += v.Forfeited; Other[k] += v.Other;
                Ntm[k] += v.Ntm; RunRate[k] += v.RunRate; GpuMinutes[k] += v.GpuMinutes;
                return;
            }
            Tcv[k] += v.Tcv * w; Rec[k] += v.Rec * w; RecTop[k] += v.RecTop * w; Forfeited[k] += v.Forfeited * w; Other[k] += v.Other * w;
            Ntm[k] += v.Ntm * w; RunRate[k] += v.RunRate * w; GpuMinutes[k] += v.GpuMinutes * w;
        }
    }
}
