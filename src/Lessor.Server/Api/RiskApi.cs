using Lessor.Core.Model;
using Lessor.Core.Risk;
using Lessor.Server.Access;
using Lessor.Server.Desk;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace Lessor.Server.Api;

/// <summary>Monte Carlo risk over HTTP (issue 16): fans per quarter, next year's range, tornado, lines short, credits.</summary>
public static class RiskApi
{
    /// <summary>The most trials one request may ask for; more belong to `lessor risk run --shard` on other machines.</summary>
    public const int MaxTrials = 20_000;

    /// <summary>
    /// A risk run: trials and seed, the window [from, until), optionally a spare fraction that replaces the book's spare
    /// policy, and how many tornado bars to return (0: none).
    /// </summary>
    public sealed record RiskRunBody(int? Trials, ulong? Seed, DateTime? From, DateTime? Until, double? SpareFraction, int? Tornado);

    /// <summary>What a run says, and the tornado's largest bars.</summary>
    public sealed record RiskReport(RiskSummary Summary, IReadOnlyList<TornadoBar> Tornado);

    public static IEndpointRouteBuilder MapRiskApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/v1/risk/run", Run).RequireAuthorization(Policies.Forecast).WithMetadata(ReadOnlyOperation.Instance);
        return app;
    }

    private static async Task<Results<Ok<RiskReport>, ValidationProblem>> Run(LessorState s, RiskRunBody? body, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        if (body is null) return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["body"] = ["required: { \"trials\": 1000, \"seed\": 7, \"from\": \"2027-01-01\", \"until\": \"2028-01-01\" }."] });
        if (body.Trials is not { } trials || trials < 1 || trials > MaxTrials) errors["trials"] = [$"give 1 to {MaxTrials:N0} trials; split larger runs with `lessor risk run --shard`."];
        if (body.From is null) errors["from"] = ["required: the first day of the window, a UTC date."];
        if (body.Until is null) errors["until"] = ["required: the end of the window (exclusive), a UTC date."];
        DateInput.Check(errors, "from", body.From);
        DateInput.Check(errors, "until", body.Until);
        if (!errors.ContainsKey("from") && !errors.ContainsKey("until"))
        {
            if (body.From!.Value.TimeOfDay != TimeSpan.Zero) errors["from"] = ["a whole UTC date such as 2027-01-01."];
            if (body.Until!.Value.TimeOfDay != TimeSpan.Zero) errors["until"] = ["a whole UTC date such as 2028-01-01."];
            if (body.Until.Value <= body.From.Value) errors["until"] = ["must be after from."];
            else if (body.Until.Value > body.From.Value.AddYears(20)) errors["until"] = ["a window of at most 20 years."];
        }
        if (body.SpareFraction is { } sf && !(sf >= 0 && sf <= 1)) errors["spare_fraction"] = [$"a fraction of failure domains must lie in [0, 1], not {sf}."];
        if (body.Tornado is { } t && (t < 0 || t > 100)) errors["tornado"] = ["give 0 to 100 bars."];
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors);
        var book = s.Desk.Scenario;
        var from = DateTime.SpecifyKind(body.From!.Value, DateTimeKind.Utc);
        var until = DateTime.SpecifyKind(body.Until!.Value, DateTimeKind.Utc);
        var policy = body.SpareFraction is { } fraction ? new UncertaintyPolicy { Name = $"spares-{fraction:0.####}", Spares = new SparePolicy(fraction) } : null;
        var options = new RiskOptions { From = from, Until = until, Trials = body.Trials!.Value, Seed = body.Seed ?? 1, Threads = Environment.ProcessorCount, Policy = policy };
        // CPU-bound: off the request thread, and cancelled with the request only between the run and the tornado.
        var run = await Task.Run(() => RiskEngine.Run(book, options), ct);
        ct.ThrowIfCancellationRequested();
        var bars = (body.Tornado ?? 5) > 0 ? await Task.Run(() => RiskEngine.Tornado(book, from, until, policy), ct) : [];
        var quarters = 0;
        foreach (var q in run.Quarters)
            if (new DateTime(int.Parse(q[..4], System.Globalization.CultureInfo.InvariantCulture), (q[^1] - '1') * 3 + 1, 1, 0, 0, 0, DateTimeKind.Utc) < from.AddMonths(12)) quarters++;
        return TypedResults.Ok(new RiskReport(RiskSummary.Of(run, quarters), [.. bars.Take(body.Tornado ?? 5)]));
    }
}
