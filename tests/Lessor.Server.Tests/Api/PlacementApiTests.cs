using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Lessor.Server.Json;

namespace Lessor.Server.Tests.Api;

/// <summary>POST /api/v1/placement/optimize and /moves, and /deals/check-with-moves, on the annotated example.</summary>
public sealed class PlacementApiTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    private async Task<(HttpStatusCode Status, JsonElement Json)> Post(string path, object body)
    {
        var response = await server.Client.PostAsJsonAsync(path, body, LessorJson.Compact);
        return (response.StatusCode, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement);
    }

    [Fact]
    public async Task Given_a_date_before_every_line_When_optimizing_Then_every_line_may_move_and_stranding_does_not_rise()
    {
        var (status, plan) = await Post("/api/v1/placement/optimize", new { as_of = "2020-01-01T00:00:00Z", until = "2035-01-01T00:00:00Z" });

        Assert.Equal(HttpStatusCode.OK, status);
        // Nothing has started in 2020; the one line with an amended history (h100-burst grew 512 -> 1,024 GPUs on
        // 2026-01-01) is placed stretch by stretch as it was and stays put. Every other placed line may move.
        Assert.Equal(1, plan.GetProperty("frozen_lines").GetInt32());
        Assert.InRange(plan.GetProperty("movable_lines").GetInt32(), 1, server.State.Scenario.Contracts.SelectMany(c => c.CommittedLines).Count());
        Assert.Equal(1_024, plan.GetProperty("min_deal_gpus").GetInt32());
        Assert.True(plan.GetProperty("stranded_gpu_hours_after").GetDecimal() <= plan.GetProperty("stranded_gpu_hours_before").GetDecimal());
        Assert.Equal(JsonValueKind.Array, plan.GetProperty("moves").ValueKind);
    }

    [Fact]
    public async Task Given_bad_optimize_input_When_posted_Then_the_field_is_named()
    {
        var (status, problem) = await Post("/api/v1/placement/optimize", new { as_of = "2027-01-01T00:00:00Z", until = "2026-01-01T00:00:00Z" });
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("must be after as_of.", problem.GetProperty("errors").GetProperty("until")[0].GetString());

        (status, problem) = await Post("/api/v1/placement/optimize", new { min_deal_gpus = 0 });
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("must be at least 1.", problem.GetProperty("errors").GetProperty("min_deal_gpus")[0].GetString());
    }

    [Fact]
    public async Task Given_malformed_moves_When_applied_Then_each_field_is_named_and_nothing_is_written()
    {
        var revision = await server.State.Store.RevisionAsync(CancellationToken.None);
        var (status, problem) = await Post("/api/v1/placement/moves", new
        {
            moves = new object[]
            {
                new { contract = "meta-1", line = "training", from = new[] { new { fabric = "iad1-vr-a", units = 1 } }, to = new[] { new { fabric = "nowhere", units = 0 } } },
                new { contract = "meta-1", line = "no-such-line", from = new[] { new { fabric = "iad1-vr-a", units = 1 } }, to = new[] { new { fabric = "iad1-vr-a", units = 1 } } },
            },
        });

        Assert.Equal(HttpStatusCode.BadRequest, status);
        var errors = problem.GetProperty("errors");
        Assert.Equal("no fabric 'nowhere'.", errors.GetProperty("moves[0].to[0].fabric")[0].GetString());
        Assert.Equal("required: a positive number of platform units.", errors.GetProperty("moves[0].to[0].units")[0].GetString());
        Assert.Equal("no line 'no-such-line' in contract 'meta-1'.", errors.GetProperty("moves[1].line")[0].GetString());
        Assert.Equal(revision, await server.State.Store.RevisionAsync(CancellationToken.None));

        (status, problem) = await Post("/api/v1/placement/moves", new { });
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.StartsWith("required", problem.GetProperty("errors").GetProperty("moves")[0].GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Given_a_move_of_a_line_that_has_started_When_applied_Then_it_is_refused_with_the_reason()
    {
        // meta-1's training line started on 2026-09-01, before the server's clock: it never moves.
        var line = server.State.Scenario.Contracts.Single(c => c.Id.Value == "meta-1").Lines.Single(l => l.Id.Value == "training");
        var (status, problem) = await Post("/api/v1/placement/moves", new
        {
            moves = new[] { new { contract = "meta-1", line = "training", from = new[] { new { fabric = "iad1-vr-a", units = line.Gpus.Value / 72 } }, to = new[] { new { fabric = "iad2-vr-a", units = line.Gpus.Value / 72 } } } },
        });

        Assert.Equal(HttpStatusCode.Conflict, status);
        Assert.Contains("a started line never moves", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Given_a_deal_When_checked_with_moves_Then_the_answer_says_whether_it_fits_and_which_lines_move()
    {
        var (status, answer) = await Post("/api/v1/deals/check-with-moves", new
        {
            deal = new { customer = "meta", lines = new[] { new { platform = "h100-hgx", gpus = 8, start = "2027-06-01", end = "2029-06-01" } } },
        });

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.True(answer.GetProperty("fits").GetBoolean());
        Assert.Empty(answer.GetProperty("moves").EnumerateArray());

        (status, var problem) = await Post("/api/v1/deals/check-with-moves", new { deal = new { customer = "meta", lines = new[] { new { platform = "h100-hgx", start = "2027-06-01", end = "2029-06-01" } } } });
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("required.", problem.GetProperty("errors").GetProperty("deal.lines[0].gpus")[0].GetString());
    }

    [Fact]
    public async Task Given_a_deal_that_fits_as_placed_When_signed_with_moves_Then_it_is_created_with_no_moves_and_a_retry_replays()
    {
        var body = new
        {
            deal = new { customer = "meta", lines = new[] { new { platform = "h100-hgx", gpus = 8, start = "2027-06-01", end = "2028-06-01" } } },
            contract_id = "meta-moves-1",
        };
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/deals/sign-with-moves") { Content = JsonContent.Create(body, options: LessorJson.Compact) };
        request.Headers.Add("Idempotency-Key", "placement-api-sign-1");
        var first = await server.Client.SendAsync(request);
        using var retry = new HttpRequestMessage(HttpMethod.Post, "/api/v1/deals/sign-with-moves") { Content = JsonContent.Create(body, options: LessorJson.Compact) };
        retry.Headers.Add("Idempotency-Key", "placement-api-sign-1");
        var second = await server.Client.SendAsync(retry);

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        var signed = JsonDocument.Parse(await first.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("meta-moves-1", signed.GetProperty("contract").GetProperty("id").GetString());
        Assert.Empty(signed.GetProperty("moves").EnumerateArray());
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);

        var (status, problem) = await Post("/api/v1/deals/sign-with-moves", new { deal = body.deal, max_moves = -1 });
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("must be 0 (no limit) or more.", problem.GetProperty("errors").GetProperty("max_moves")[0].GetString());
    }
}
