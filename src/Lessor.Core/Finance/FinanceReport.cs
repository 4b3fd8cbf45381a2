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
/// utilization are null where a slice has no meaning for them (customers). In-service MW is the energized envelope of
/// sites in service; drawn MW is the IT draw of accepted units within it; revenue per MW-year is run-rate / in-service MW.
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
    decimal? InServiceMw,
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

    /// <summary>
    /// SLA credits by customer and month of service (written by as-of, and accrued), where the caller has the fleet's
    /// records (the server does; the book alone does not): null otherwise.
    /// </summary>
    public SlaCreditSummary? SlaCredits { get; init; }

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
            if (book.LineStretches is { } moved && moved.TryGetValue(i, out var stretches))
            {
                // Placed differently over its history: site and region take each stretch's figures with its own shares.
                AddLine(book, acc, total, i, v, sitesToo: false);
                for (var k = 0; k < stretches.Length; k++)
                {
                    var from = stretches[k].From;
                    var to = k + 1 < stretches.Length ? stretches[k + 1].From : long.MaxValue;
                    var part = new Amounts
                    {
                        Rec = In(line, from, Math.Min(to, a)),
                        Ntm = In(line, Math.Max(from, a), Math.Min(to, n1)),
                        RunRate = In(line, Math.Max(from, r0), Math.Min(to, r1)),
                        GpuMinutes = Math.Max(from, u0) < Math.Min(to, u1) ? line.GpuMinutesIn(Math.Max(from, u0), Math.Min(to, u1)) : 0m,
                    };
                    if (!isBackstop[c])
                    {
                        part.Tcv = EntitlementIn(line, from, to);
                        part.RecTop = part.Rec;
                        part.Forfeited = k == stretches.Length - 1 ? v.Forfeited : 0m;
                    }
                    foreach (var dim in (ReadOnlySpan<FinanceDimension>)[FinanceDimension.Site, FinanceDimension.Region])
                    {
                        var keys = dim == FinanceDimension.Site ? book.StretchSiteKey : book.StretchRegionKey;
                        for (var j = stretches[k].PlaceStart; j < stretches[k].PlaceEnd; j++) acc[(int)dim].Add(keys[j], part, book.StretchWeight[j]);
                    }
                }
                continue;
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
        // Cents: each customer is rounded on its own (its recognized revenue is then what its invoices charged to date),
        // the total is the sum of the customers, and every other breakdown is apportioned to add up to that total.
        for (var d = 0; d < 4; d++) acc[d].Annualize(factor);
        acc[(int)FinanceDimension.Customer].RoundEach();
        total.SumOf(acc[(int)FinanceDimension.Customer]);
        for (var d = 1; d < 4; d++) acc[d].ApportionTo(total);

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

    private static decimal In(LineSchedule line, long a, long b) => a < b ? line.AmountIn(a, b) : 0m;

    /// <summary>The committed value of a line's entitlement inside minutes [a, b).</summary>
    private static decimal EntitlementIn(LineSchedule line, long a, long b)
    {
        var sum = 0m;
        foreach (var p in line.Pieces)
        {
            var s = Math.Max(a, p.StartMinute);
            var e = Math.Min(b, p.EndMinute);
            if (s < e) sum += s == p.StartMinute && e == p.EndMinute ? p.Value : p.Gpus * (e - s) * p.PricePerGpuHour / 60m;
        }
        return sum;
    }

    private static void AddLine(FinanceBook book, Accumulator[] acc, Accumulator total, int line, Amounts v, bool sitesToo = true)
    {
        total.Add(0, v, 1m);
        acc[(int)FinanceDimension.Customer].Add(book.LineCustomerKey[line], v, 1m);
        acc[(int)FinanceDimension.Platform].Add(book.LinePlatformKey[line], v, 1m);
        if (!sitesToo) return;
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
        Money? perMw = p.InServiceMw is > 0m ? new Money(RevenueReport.Cents(runRate / p.InServiceMw.Value), currency) : null;
        return new KpiSlice(key,
            new Money(acc.Tcv[k], currency),
            new Money(acc.Rec[k], currency),
            new Money(acc.Forfeited[k], currency),
            new Money(rpo, currency),
            new Money(acc.Other[k], currency),
            new Money(rpo + acc.Other[k], currency),
            new Money(acc.Ntm[k], currency),
            new Money(runRate, currency),
            Mw(p.InServiceMw), Mw(p.DrawnMw), Mw(p.ContractedMw), perMw,
            p.Utilization is { } u ? Math.Round(u, 6, MidpointRounding.AwayFromZero) : null);
    }

    private static decimal? Mw(decimal? mw) => mw is { } v ? Math.Round(v, 4, MidpointRounding.AwayFromZero) : null;

    /// <summary>
    /// Rounds parts to cents so they add up to the whole's cents (largest remainder: each part rounded down, then the
    /// cents left over go to the largest remainders, ties to the lower index; when the whole is below the parts' floors,
    /// cents come off the smallest remainders first), so a breakdown always sums to its total.
    /// </summary>
    internal static void Apportion(decimal[] parts, decimal whole)
    {
        if (parts.Length == 0) return;
        var target = RevenueReport.Cents(whole);
        var floor = new decimal[parts.Length];
        var sum = 0m;
        for (var i = 0; i < parts.Length; i++)
        {
            floor[i] = Math.Floor(parts[i] * 100m) / 100m;
            sum += floor[i];
        }
        var cents = (long)Math.Round((target - sum) * 100m);
        if (Math.Abs(cents) > 100L * (parts.Length + 100))
        {
            // The whole is the sum of rounded customers, so parts differ from it by at most half a cent per customer; a
            // larger gap is a bug elsewhere: each part rounded on its own, and no loop runs on a gap rounding did not make.
            for (var i = 0; i < parts.Length; i++) parts[i] = RevenueReport.Cents(parts[i]);
            return;
        }
        if (cents != 0)
        {
            var order = new int[parts.Length];
            for (var i = 0; i < order.Length; i++) order[i] = i;
            Array.Sort(order, (x, y) =>
            {
                var c = (parts[y] - floor[y]).CompareTo(parts[x] - floor[x]);
                return c != 0 ? c : x.CompareTo(y);
            });
            if (cents > 0)
            {
                for (long i = 0; i < cents; i++) floor[order[i % order.Length]] += 0.01m;
            }
            else
            {
                // Cents come off the smallest remainders first, never taking a part that is not negative below zero.
                Array.Reverse(order);
                var left = -cents;
                for (var pass = 0; left > 0 && pass < 2 * (int)Math.Min(left, int.MaxValue / 2) + 2; pass++)
                {
                    var took = false;
                    foreach (var i in order)
                    {
                        if (left == 0) break;
                        if (parts[i] >= 0m && floor[i] < 0.01m) continue;
                        floor[i] -= 0.01m;
                        left--;
                        took = true;
                    }
                    if (!took) break;
                }
            }
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
        /// Every key in cents on its own: TCV and recognized rounded, forfeited and RPO apportioned from the rest, so TCV =
        /// recognized + forfeited + RPO as shown.
        /// </summary>
        public void RoundEach()
        {
            Derive();
            for (var k = 0; k < Tcv.Length; k++)
            {
                // Recognized is rounded on its own (what the invoices charged); forfeited and RPO share what is left of the
                // rounded TCV by largest remainder, so an RPO that is exactly zero stays zero and none turns negative.
                var tcv = RevenueReport.Cents(Tcv[k]);
                RecTop[k] = RevenueReport.Cents(RecTop[k]);
                var rest = new[] { Forfeited[k], Rpo[k] };
                Apportion(rest, tcv - RecTop[k]);
                (Forfeited[k], Rpo[k]) = (rest[0], rest[1]);
                Tcv[k] = RecTop[k] + Forfeited[k] + Rpo[k];
                RecBackstop[k] = RevenueReport.Cents(RecBackstop[k]);
                Rec[k] = RecTop[k] + RecBackstop[k];
                Other[k] = RevenueReport.Cents(Other[k]);
                Ntm[k] = RevenueReport.Cents(Ntm[k]);
                RunRate[k] = RevenueReport.Cents(RunRate[k]);
            }
        }

        /// <summary>This one-key accumulator becomes the sum of <paramref name="parts"/>' keys (already in cents).</summary>
        public void SumOf(Accumulator parts)
        {
            foreach (var (mine, theirs) in new[] { (Tcv, parts.Tcv), (Rec, parts.Rec), (RecTop, parts.RecTop), (Forfeited, parts.Forfeited), (Rpo, parts.Rpo),
                         (RecBackstop, parts.RecBackstop), (Other, parts.Other), (Ntm, parts.Ntm), (RunRate, parts.RunRate) })
            {
                var sum = 0m;
                foreach (var x in theirs) sum += x;
                mine[0] = sum;
            }
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
