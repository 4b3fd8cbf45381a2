using Lessor.Core.Finance;
using Lessor.Core.Model;
using static Lessor.Core.Tests.Finance.FinanceFixtures;

namespace Lessor.Core.Tests.Finance;

public sealed class RevenueScheduleTests
{
    [Fact]
    public void Given_full_coverage_When_scheduling_Then_each_month_is_gpus_times_hours_times_price()
    {
        var s = RevenueSchedule.ForLine(Acme(), new LineId("l1"), CoverageSource.Full);

        // Jan: 16 GPUs x 744 h x $2 = 23,808; Feb: 16 x 672 x 2 = 21,504; Mar: 16 x 744 x 2 = 23,808.
        Assert.Equal([23_808m, 21_504m, 23_808m], MonthlyAmounts(s));
        // TCV: 16 x 2,160 h x 2 = 69,120.
        Assert.Equal(Money.Usd(69_120m), s.CommittedValue);
        Assert.Equal(Money.Usd(69_120m), s.Scheduled);
        Assert.Equal(AcmeLine().Value, s.CommittedValue);
    }

    [Fact]
    public void Given_a_ten_day_slip_When_scheduling_Then_the_missing_days_are_recognized_after_term_end()
    {
        var coverage = Steps(AcmeL1, new CoverageStep(Utc.Date(2026, 1, 11), new GpuCount(16)));

        var s = RevenueSchedule.ForLine(Acme(), new LineId("l1"), coverage);

        // Jan: covered from the 11th: 16 x 504 h x 2 = 16,128; deferred 16 x 240 h x 2 = 7,680.
        // The tail runs from Apr 1 at 16 GPUs x $2 = $32/h for 7,680 / 32 = 240 h, all in April.
        Assert.Equal([16_128m, 21_504m, 23_808m, 7_680m], MonthlyAmounts(s));
        Assert.Equal(Money.Usd(69_120m), s.Scheduled);
        Assert.Equal(Utc.Date(2026, 4, 11), Utc.FromMinute(s.Segments[^1].EndMinute));
    }

    [Fact]
    public void Given_half_coverage_in_january_When_scheduling_Then_the_shortfall_moves_to_april()
    {
        var coverage = Steps(AcmeL1, new CoverageStep(Jan1, new GpuCount(8)), new CoverageStep(Feb1, new GpuCount(16)));

        var s = RevenueSchedule.ForLine(Acme(), new LineId("l1"), coverage);

        // Jan: 8 x 744 x 2 = 11,904 recognized and 11,904 deferred; tail at $32/h lasts 372 h (15.5 days) in April.
        Assert.Equal([11_904m, 21_504m, 23_808m, 11_904m], MonthlyAmounts(s));
        Assert.Equal(Utc.Date(2026, 4, 16).AddHours(12), Utc.FromMinute(s.Segments[^1].EndMinute));
    }

    [Fact]
    public void Given_coverage_that_never_arrives_When_scheduling_Then_nothing_is_recognized_and_tcv_stays()
    {
        var coverage = Steps(AcmeL1, new CoverageStep(Jan1, GpuCount.Zero));

        var s = RevenueSchedule.ForLine(Acme(), new LineId("l1"), coverage);

        Assert.Empty(s.Segments);
        Assert.Equal(Money.Usd(69_120m), s.CommittedValue);
        Assert.Equal(Money.Usd(0m), s.Scheduled);
    }

    [Fact]
    public void Given_a_reprice_on_february_15_When_scheduling_Then_only_the_future_changes()
    {
        var line = AcmeLine(Money.Usd(3m));
        var contract = Acme(line) with
        {
            Amendments =
            [
                new Amendment { Sequence = 1, EffectiveOn = Utc.Date(2026, 2, 15), Kind = AmendmentKind.Reprice, Line = line.Id, Before = AcmeLine(), After = line },
            ],
        };

        var s = RevenueSchedule.ForLine(contract, line.Id, CoverageSource.Full);

        // Jan at $2: 23,808. Feb: 14 days (336 h) at $2 = 10,752 plus 336 h at $3 = 16,128 -> 26,880. Mar at $3: 16 x 744 x 3 = 35,712.
        Assert.Equal([23_808m, 26_880m, 35_712m], MonthlyAmounts(s));
        Assert.Equal(Money.Usd(86_400m), s.CommittedValue);
    }

    [Fact]
    public void Given_a_line_added_by_amendment_When_scheduling_Then_it_counts_from_the_effective_date()
    {
        var line = AcmeLine();
        var contract = Acme(line) with
        {
            Amendments = [new Amendment { Sequence = 1, EffectiveOn = Mar1, Kind = AmendmentKind.Grow, Line = line.Id, After = line }],
        };

        var s = RevenueSchedule.ForLine(contract, line.Id, CoverageSource.Full);

        Assert.Equal([23_808m], MonthlyAmounts(s));
        Assert.Equal(Mar1, Utc.FromMinute(s.Segments[0].StartMinute));
    }

    [Fact]
    public void Given_an_unexercised_option_When_scheduling_Then_it_contributes_nothing()
    {
        var option = AcmeLine() with { Option = new OptionTerms { ExerciseBy = Utc.Date(2025, 12, 1) } };

        var s = RevenueSchedule.ForContract(Acme(option), CoverageSource.Full);

        Assert.Equal(Money.Usd(0m), s.CommittedValue);
        Assert.Empty(s.Lines[0].Segments);
    }

    [Fact]
    public void Given_an_option_exercised_on_february_1_When_scheduling_Then_revenue_starts_at_exercise()
    {
        var option = AcmeLine() with { Option = new OptionTerms { ExerciseBy = Mar1, ExercisedOn = Feb1 } };

        var s = RevenueSchedule.ForLine(Acme(option), option.Id, CoverageSource.Full);

        // Feb 21,504 + Mar 23,808 = 45,312.
        Assert.Equal([21_504m, 23_808m], MonthlyAmounts(s));
        Assert.Equal(Money.Usd(45_312m), s.CommittedValue);
    }

    [Fact]
    public void Given_a_cancellation_on_march_1_with_a_fee_When_scheduling_Then_revenue_stops_and_the_fee_is_its_own_item()
    {
        var contract = Acme() with { Cancellation = new Cancellation(Mar1, Money.Usd(5_000m), "moved to own data center") };

        var s = RevenueSchedule.ForContract(contract, CoverageSource.Full);

        Assert.Equal([23_808m, 21_504m], MonthlyAmounts(s.Lines[0]));
        Assert.Equal(Money.Usd(5_000m), s.Fee);
        // TCV: Jan + Feb + fee = 23,808 + 21,504 + 5,000 = 50,312.
        Assert.Equal(Money.Usd(50_312m), s.CommittedValue);
        Assert.Equal(Money.Usd(45_312m), s.RevenueBefore(Mar1));
        Assert.Equal(Money.Usd(50_312m), s.RevenueBefore(Mar1.AddMinutes(1)));
    }

    [Fact]
    public void Given_a_slip_and_a_cancellation_before_the_tail_When_scheduling_Then_the_deferred_revenue_is_not_recognized()
    {
        var coverage = Steps(AcmeL1, new CoverageStep(Utc.Date(2026, 1, 11), new GpuCount(16)));
        var contract = Acme() with { Cancellation = new Cancellation(Apr1, Money.Usd(0m), null) };

        var s = RevenueSchedule.ForContract(contract, coverage);

        // Without the cancellation April would carry the 7,680 deferred; the cancellation at term end cuts it.
        Assert.Equal([16_128m, 21_504m, 23_808m], MonthlyAmounts(s.Lines[0]));
        Assert.Equal(Money.Usd(61_440m), s.Scheduled);
        Assert.Equal(Money.Usd(69_120m), s.CommittedValue);
    }

    [Fact]
    public void Given_a_line_removed_by_amendment_When_scheduling_Then_it_stops_at_the_effective_date()
    {
        var removed = AcmeLine();
        var contract = Acme() with
        {
            Lines = [],
            Amendments = [new Amendment { Sequence = 1, EffectiveOn = Feb1, Kind = AmendmentKind.Shrink, Line = removed.Id, Before = removed }],
        };

        var s = RevenueSchedule.ForContract(contract, CoverageSource.Full);

        var line = Assert.Single(s.Lines);
        Assert.Null(line.Current);
        Assert.Equal([23_808m], MonthlyAmounts(line));
        Assert.Equal(Money.Usd(23_808m), s.CommittedValue);
    }

    [Fact]
    public void Given_a_grow_from_16_to_32_gpus_on_march_1_When_scheduling_Then_march_doubles()
    {
        var grown = AcmeLine() with { Gpus = new GpuCount(32) };
        var contract = Acme(grown) with
        {
            Amendments = [new Amendment { Sequence = 1, EffectiveOn = Mar1, Kind = AmendmentKind.Grow, Line = grown.Id, Before = AcmeLine(), After = grown }],
        };

        var s = RevenueSchedule.ForLine(contract, grown.Id, CoverageSource.Full);

        // Mar: 32 x 744 x 2 = 47,616.
        Assert.Equal([23_808m, 21_504m, 47_616m], MonthlyAmounts(s));
    }
}
