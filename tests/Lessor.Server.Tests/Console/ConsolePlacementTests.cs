using static Microsoft.Playwright.Assertions;

namespace Lessor.Server.Tests.Browser;

/// <summary>The placement page on the bundled scenario: propose moves, compare with the API's own answer, apply them.</summary>
public sealed class ConsolePlacementTests(ConsoleFixture console) : IClassFixture<ConsoleFixture>
{
    [Fact]
    public async Task Given_unstarted_lines_When_moves_are_proposed_and_applied_Then_the_page_matches_the_api_and_the_book_holds_the_new_blocks()
    {
        // The bundled book was placed by the policy the optimizer uses, so as it stands no move strands less, and a move
        // that does not is never proposed. Move one unstarted line somewhere worse first (ct-0095's l1, Vera Rubin, starts
        // 2027-08-01): the page must then find a move that wins the stranding back.
        var worse = await console.PostAsync("/api/v1/placement/moves", new
        {
            moves = new[]
            {
                new
                {
                    contract = "ct-0095", line = "l1",
                    from = new[] { new { fabric = "us-west-03-f5", units = 8 } }, to = new[] { new { fabric = "us-west-02-f10", units = 8 } },
                },
            },
        });
        Assert.True(worse.TryGetProperty("moves", out var made) && made.GetArrayLength() == 1, worse.ToString());
        // The proposal the page makes with its defaults: lines that start after today may move.
        var today = DateTime.UtcNow.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        var expected = await console.PostAsync("/api/v1/placement/optimize", new { as_of = $"{today}T00:00:00Z", max_moves = 100 });
        var moves = expected.GetProperty("moves");
        Assert.True(moves.GetArrayLength() > 0, "the bundled scenario should offer at least one move of a line that has not started");
        var page = await console.NewPageAsync();

        await page.GotoAsync("/placement");
        await page.Locator("button[data-action='propose']").ClickAsync();

        await Expect(page.GetByTestId("plan")).ToContainTextAsync($"{moves.GetArrayLength()} move(s) proposed.");
        await Expect(page.Locator("[data-testid='moves'] tbody tr")).ToHaveCountAsync(moves.GetArrayLength());
        await ConsoleFixture.ScreenshotAsync(page, "placement");
        await page.Locator("button[data-action='apply']").ClickAsync();
        await Expect(page.GetByTestId("applied")).ToContainTextAsync($"Applied: {moves.GetArrayLength()} line(s) moved.");
        Assert.Empty(console.PageErrors[page]);

        var first = moves[0];
        var contract = await console.GetAsync($"/api/v1/contracts/{first.GetProperty("contract").GetString()}");
        var line = contract.GetProperty("lines").EnumerateArray().Single(l => l.GetProperty("id").GetString() == first.GetProperty("line").GetString());
        var pinned = line.GetProperty("pinned").EnumerateArray().Select(b => (b.GetProperty("fabric").GetString(), b.GetProperty("units").GetInt32())).Order().ToList();
        var to = first.GetProperty("to").EnumerateArray().Select(b => (b.GetProperty("fabric").GetString(), b.GetProperty("units").GetInt32())).Order().ToList();
        Assert.Equal(to, pinned);
    }

    [Fact]
    public async Task Given_a_bad_deal_size_When_proposing_Then_the_field_is_marked()
    {
        var page = await console.NewPageAsync();

        await page.GotoAsync("/placement");
        await page.Locator("input[name='min_deal_gpus']").FillAsync("0");
        await page.Locator("button[data-action='propose']").ClickAsync();

        await Expect(page.Locator(".field-error[data-for='min_deal_gpus']")).ToHaveTextAsync("must be at least 1.");
        Assert.Empty(console.PageErrors[page]);
    }
}
