using Lessor.Core.Contracts;
using Lessor.Core.Model;

namespace Lessor.Core.Tests.Contracts;

public sealed class ContractEditorTests
{
    private static readonly DateTime Jan2027 = Utc.Date(2027, 1, 1);
    private static readonly DateTime Jan2028 = Utc.Date(2028, 1, 1);
    private static readonly DateTime Jan2029 = Utc.Date(2029, 1, 1);

    private static Contract TwoYearContract() => new()
    {
        Id = new ContractId("c1"),
        Customer = new CustomerId("acme"),
        SignedOn = Utc.Date(2026, 6, 1),
        Currency = Currency.Usd,
        CancellationTerms = new CancellationTerms(0.5m, 30),
        Lines =
        [
            new ContractLine
            {
                Id = new LineId("l1"),
                Platform = new PlatformId("h100-hgx"),
                Gpus = new GpuCount(16),
                Period = new Period(Jan2027, Jan2029),
                PricePerGpuHour = Money.Usd(2m),
                Pinned = [new PlacedBlock(new FabricId("f1"), 2)],
            },
        ],
    };

    [Fact]
    public void Given_a_line_When_grown_from_mid_term_Then_the_past_keeps_its_size_and_the_future_has_the_new_one()
    {
        var result = ContractEditor.Resize(TwoYearContract(), new LineId("l1"), new GpuCount(24), Jan2028, [new PlacedBlock(new FabricId("f1"), 3)]);

        Assert.True(result.Ok);
        var segments = LineSegments.Of(result.Contract!);
        Assert.Equal(2, segments.Count);
        Assert.Equal((new Period(Jan2027, Jan2028), 16), (segments[0].Period, segments[0].Gpus.Value));
        Assert.Equal((new Period(Jan2028, Jan2029), 24), (segments[1].Period, segments[1].Gpus.Value));
        Assert.Equal(AmendmentKind.Grow, result.Contract!.Amendments.Single().Kind);
        // 16 GPUs x 8,760 h (2027) x $2 + 24 GPUs x 8,784 h (2028 is a leap year) x $2.
        Assert.Equal(Money.Usd(16 * 8760 * 2m + 24 * 8784 * 2m), segments.Aggregate(Money.Usd(0), (s, x) => s + x.Value));
    }

    [Fact]
    public void Given_two_amendments_When_segmenting_Then_each_stretch_carries_the_terms_in_force()
    {
        var once = ContractEditor.Resize(TwoYearContract(), new LineId("l1"), new GpuCount(8), Utc.Date(2027, 7, 1), []).Contract!;
        var twice = ContractEditor.Resize(once, new LineId("l1"), new GpuCount(32), Jan2028, []).Contract!;

        var segments = LineSegments.Of(twice);
        Assert.Equal(new[] { 16, 8, 32 }, segments.Select(s => s.Gpus.Value));
        Assert.Equal(new[] { Jan2027, Utc.Date(2027, 7, 1), Jan2028 }, segments.Select(s => s.Period.Start));
        Assert.Equal(new[] { 1, 2 }, twice.Amendments.Select(a => a.Sequence));
    }

    [Fact]
    public void Given_a_contract_When_cancelled_Then_segments_stop_and_the_fee_is_the_terms_fraction_of_what_remained()
    {
        var result = ContractEditor.Cancel(TwoYearContract(), Jan2028, "budget");

        Assert.True(result.Ok);
        var segment = Assert.Single(LineSegments.Of(result.Contract!));
        Assert.Equal(Jan2028, segment.Period.End);
        // Remaining: 16 GPUs x 8,784 h (leap 2028) x $2 = $281,088; fee fraction 0.5 -> $140,544.
        Assert.Equal(Money.Usd(140_544m), result.Contract!.Cancellation!.Fee);
    }

    [Fact]
    public void Given_an_effective_date_outside_the_term_When_amending_Then_the_refusal_names_the_field()
    {
        var result = ContractEditor.Resize(TwoYearContract(), new LineId("l1"), new GpuCount(24), Utc.Date(2030, 1, 1), []);

        Assert.False(result.Ok);
        Assert.Equal("effective", result.Rejected!.Field);
        Assert.StartsWith("2030-01-01 is not inside the line's term", result.Rejected.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Given_an_option_When_exercised_after_its_deadline_Then_it_is_refused()
    {
        var c = TwoYearContract() with
        {
            Lines = [TwoYearContract().Lines[0] with { Option = new OptionTerms { ExerciseBy = Utc.Date(2026, 12, 1) } }],
        };

        Assert.Empty(LineSegments.Of(c));
        var late = ContractEditor.Exercise(c, new LineId("l1"), Utc.Date(2026, 12, 2), null, []);
        Assert.Equal("2026-12-02 is after the option's exercise deadline 2026-12-01.", late.Rejected!.Message);
        var inTime = ContractEditor.Exercise(c, new LineId("l1"), Utc.Date(2026, 11, 1), new ContractId("c2"), []);
        Assert.Single(LineSegments.Of(inTime.Contract!));
    }

    [Fact]
    public void Given_an_extension_When_segmenting_Then_the_line_runs_to_the_new_end()
    {
        var result = ContractEditor.Extend(TwoYearContract(), new LineId("l1"), Utc.Date(2030, 1, 1), Jan2028);

        var segments = LineSegments.Of(result.Contract!);
        Assert.Equal(Utc.Date(2030, 1, 1), segments[^1].Period.End);
        Assert.Equal(Jan2027, segments[0].Period.Start);
        Assert.All(segments, s => Assert.Equal(16, s.Gpus.Value));
    }
}
