using System.Security.Claims;
using System.Security.Cryptography;
using System.Text.Json;
using Lessor.Core.Model;
using Lessor.Server.Access;
using Lessor.Server.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace Lessor.Server.Api;

/// <summary>Customers and contracts. A tenant key sees only its own customer; anything else answers 404.</summary>
public static class ContractsApi
{
    /// <summary>A contract in a listing: the headline figures without its lines.</summary>
    public sealed record ContractSummary(
        ContractId Id, CustomerId Customer, string? Title, ContractKind Kind, DateTime SignedOn,
        int Lines, int CommittedGpus, DateTime? Start, DateTime? End, Money Value, Money? HeadlineValue, bool Cancelled);

    public static IEndpointRouteBuilder MapContractsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1").RequireAuthorization(Policies.BookRead);
        api.MapGet("/customers", (LessorState s, ClaimsPrincipal user, int? offset, int? limit) =>
            Paging.Slice(s.Scenario.Customers.Where(c => user.MaySee(c.Id.Value)).ToList(), offset, limit));
        api.MapGet("/contracts", ListContracts);
        api.MapGet("/contracts/{id}", GetContract);
        return app;
    }

    /// <summary>Summaries of every contract (or one customer's), in book order.</summary>
    public static IReadOnlyList<ContractSummary> Summaries(Scenario scenario, CustomerId? customer) =>
        scenario.Contracts
            .Where(c => customer is null || c.Customer == customer)
            .Select(Summarize)
            .ToList();

    public static ContractSummary Summarize(Contract c)
    {
        var committed = c.CommittedLines.ToList();
        return new ContractSummary(
            c.Id, c.Customer, c.Title, c.Kind, c.SignedOn, c.Lines.Count,
            committed.Sum(l => l.Gpus.Value),
            committed.Count == 0 ? c.BackstopPeriod?.Start : committed.Min(l => l.Period.Start),
            committed.Count == 0 ? c.BackstopPeriod?.End : committed.Max(l => l.Period.End),
            c.Value.RoundToCents(), c.HeadlineValue, c.Cancellation is not null);
    }

    /// <summary>A strong validator of the contract's whole state: it changes with every amendment or cancellation.</summary>
    public static string ETag(Contract c) =>
        $"\"{Convert.ToHexStringLower(SHA256.HashData(JsonSerializer.SerializeToUtf8Bytes(c, LessorJson.Compact)))[..16]}\"";

    /// <summary>True when the request has no If-Match, or one that names the contract's current ETag (or *).</summary>
    public static bool IfMatch(HttpContext http, Contract current)
    {
        var header = http.Request.Headers.IfMatch.ToString();
        if (string.IsNullOrEmpty(header) || header == "*") return true;
        var etag = ETag(current);
        return header.Split(',').Any(t => t.Trim() == etag);
    }

    /// <summary>The orders a listing can be sorted in; a leading '-' reverses one. Ties keep book order.</summary>
    public static readonly IReadOnlyList<string> SortKeys = ["id", "customer", "signed", "start", "gpus", "value"];

    /// <summary>Summaries in the asked order, or null when the key is not one of <see cref="SortKeys"/>.</summary>
    public static IReadOnlyList<ContractSummary>? Sorted(IReadOnlyList<ContractSummary> all, string? sort)
    {
        if (string.IsNullOrEmpty(sort)) return all;
        var descending = sort.StartsWith('-');
        var key = descending ? sort[1..] : sort;
        Func<ContractSummary, IComparable?>? by = key switch
        {
            "id" => c => c.Id.Value,
            "customer" => c => c.Customer.Value,
            "signed" => c => c.SignedOn,
            "start" => c => c.Start,
            "gpus" => c => c.CommittedGpus,
            "value" => c => c.Value.Amount,
            _ => null,
        };
        if (by is null) return null;
        // OrderBy is stable: equal keys stay in book order, so pages never shuffle between requests.
        return descending ? [.. all.OrderByDescending(by, Comparer<IComparable?>.Default)] : [.. all.OrderBy(by, Comparer<IComparable?>.Default)];
    }

    private static Results<Ok<Page<ContractSummary>>, ValidationProblem, NotFound> ListContracts(
        LessorState s, ClaimsPrincipal user, string? customer, string? sort, int? offset, int? limit)
    {
        if (user.TenantCustomer() is { } own)
        {
            if (customer is not null && customer != own) return TypedResults.NotFound();
            customer = own;
        }
        var sorted = Sorted(Summaries(s.Scenario, customer is null ? null : new CustomerId(customer)), sort);
        if (sorted is null)
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["sort"] = [$"'{sort}' is not one of {string.Join(", ", SortKeys)} (a leading '-' sorts descending)."] });
        return Paging.Slice(sorted, offset, limit) switch
        {
            { Result: Ok<Page<ContractSummary>> ok } => ok,
            { Result: ValidationProblem problem } => problem,
            _ => throw new InvalidOperationException("Paging returned an unexpected result."),
        };
    }

    private static Results<Ok<Contract>, NotFound> GetContract(LessorState s, ClaimsPrincipal user, HttpContext http, string id)
    {
        if (s.Scenario.Contracts.FirstOrDefault(c => c.Id.Value == id) is not { } contract || !user.MaySee(contract.Customer.Value))
            return TypedResults.NotFound();
        http.Response.Headers.ETag = ETag(contract);
        return TypedResults.Ok(contract);
    }
}
