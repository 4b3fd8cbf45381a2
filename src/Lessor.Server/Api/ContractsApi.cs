using Lessor.Core.Model;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace Lessor.Server.Api;

/// <summary>Read-only listings of customers and contracts.</summary>
public static class ContractsApi
{
    /// <summary>A contract in a listing: the headline figures without its lines.</summary>
    public sealed record ContractSummary(
        ContractId Id, CustomerId Customer, string? Title, ContractKind Kind, DateTime SignedOn,
        int Lines, int CommittedGpus, DateTime? Start, DateTime? End, Money Value, Money? HeadlineValue, bool Cancelled);

    public static IEndpointRouteBuilder MapContractsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1");
        api.MapGet("/customers", (LessorState s, int? offset, int? limit) => Paging.Slice(s.Scenario.Customers, offset, limit));
        api.MapGet("/contracts", (LessorState s, string? customer, int? offset, int? limit) =>
            Paging.Slice(Summaries(s.Scenario, customer is null ? null : new CustomerId(customer)), offset, limit));
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

    private static Results<Ok<Contract>, NotFound> GetContract(LessorState s, string id) =>
        s.Scenario.Contracts.FirstOrDefault(c => c.Id.Value == id) is { } contract ? TypedResults.Ok(contract) : TypedResults.NotFound();
}
