using CsCheck;
using Lessor.Core.Finance;
using Lessor.Core.Model;

namespace Lessor.Core.Tests.Finance;

public sealed class YearMonthTests
{
    [Fact]
    public void Given_text_in_yyyy_mm_When_parsed_Then_the_month_round_trips()
    {
        var m = YearMonth.Parse("2026-03");

        Assert.Equal(new YearMonth(2026, 3), m);
        Assert.Equal("2026-03", m.ToString());
        Assert.Equal(new Period(Utc.Date(2026, 3, 1), Utc.Date(2026, 4, 1)), m.Period);
    }

    [Theory]
    [InlineData("2026-3")]
    [InlineData("2026-13")]
    [InlineData("2026-00")]
    [InlineData("26-03-01")]
    [InlineData("2026/03")]
    [InlineData("")]
    public void Given_malformed_text_When_parsed_Then_it_is_refused(string text)
    {
        Assert.False(YearMonth.TryParse(text, out _));
        Assert.Throws<FormatException>(() => YearMonth.Parse(text));
    }

    [Fact]
    public void Given_december_When_stepping_Then_the_year_turns()
    {
        var dec = new YearMonth(2026, 12);

        Assert.Equal(new YearMonth(2027, 1), dec.Next);
        Assert.Equal(new YearMonth(2026, 11), dec.Previous);
        Assert.Equal(new YearMonth(2025, 12), dec.AddMonths(-12));
        Assert.Equal(new YearMonth(2028, 2), dec.AddMonths(14));
        Assert.Equal(14, YearMonth.MonthsBetween(dec, new YearMonth(2028, 2)));
    }

    [Fact]
    public void Given_any_month_and_offset_When_adding_Then_months_between_gives_the_offset_back()
    {
        Gen.Select(Gen.Int[1990, 2100], Gen.Int[1, 12], Gen.Int[-600, 600]).Sample((y, m, k) =>
        {
            var a = new YearMonth(y, m);
            var b = a.AddMonths(k);
            Assert.Equal(k, YearMonth.MonthsBetween(a, b));
            Assert.Equal(a.Start.AddMonths(k), b.Start);
        });
    }
}
