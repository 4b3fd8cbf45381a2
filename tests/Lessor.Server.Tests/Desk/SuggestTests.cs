using Lessor.Server.Desk;

namespace Lessor.Server.Tests.Desk;

/// <summary>The nearest id, name or alias offered for a typo, by the API's deal input as by the CLI.</summary>
public sealed class SuggestTests
{
    [Theory]
    [InlineData("metaa", "meta", 1)]
    [InlineData("NVL14", "NVL144", 1)]
    [InlineData("Paltforms", "Platforms", 1)]
    [InlineData("abcd", "", 4)]
    [InlineData("", "abc", 3)]
    public void Given_two_strings_When_measured_Then_a_swap_of_neighbours_costs_one_edit(string a, string b, int distance) =>
        Assert.Equal(distance, Suggest.Distance(a, b));

    [Theory]
    [InlineData("metaa", "meta")]
    [InlineData("META", "meta")]
    [InlineData("nvl14", "NVL144")]
    [InlineData("gb30-nvl72", "gb300-nvl72")]
    [InlineData("nobody", null)]
    [InlineData("x", null)]
    [InlineData("mta", "meta")]
    public void Given_a_typo_When_the_nearest_is_asked_Then_a_near_one_is_offered_and_a_stranger_gets_none(string typed, string? expected) =>
        Assert.Equal(expected, Suggest.Nearest(typed, ["meta", "nvidia", "NVL144", "gb300-nvl72", "vr-nvl72"]));

    [Fact]
    public void Given_a_tie_When_the_nearest_is_asked_Then_the_first_in_ordinal_order_wins_whatever_the_order_given()
    {
        Assert.Equal("meta-1", Suggest.Nearest("meta-x", ["meta-2", "meta-1"]));
        Assert.Equal("meta-1", Suggest.Nearest("meta-x", ["meta-1", "meta-2"]));
    }

    [Fact]
    public void Given_a_mistyped_customer_and_platform_When_a_deal_is_read_Then_each_error_offers_the_nearest()
    {
        var book = SmallBook.Build();
        var (deal, errors) = DealInput.Build(book, new DealBody
        {
            Customer = "Acme A1",
            Lines = [new DealLineBody { Platform = "DGX H10", Gpus = 8, Start = SmallBook.Y2027, End = SmallBook.Y2028 }],
        });

        Assert.Null(deal);
        Assert.Equal(["no customer 'Acme A1'; did you mean 'acme'?"], errors["customer"]);
        Assert.Equal(["no platform or alias 'DGX H10' in the catalog; did you mean 'DGX H100'?"], errors["lines[0].platform"]);
    }
}
