using System.Globalization;
using System.Security.Claims;
using System.Text;
using Lessor.Core.Finance;
using Lessor.Core.Model;
using Lessor.Server.Access;
using Lessor.Server.Desk;
using Lessor.Server.Finance;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;

namespace Lessor.Server.Api;

/// <summary>One issued invoice as a document (JSON, HTML or CSV), and credits to apply on a month's invoices.</summary>
public static class BillingApi
{
    /// <summary>A credit to record: <c>id</c> is the caller's, so recording it twice records it once.</summary>
    public sealed record CreditBody(string? Id, string? Customer, string? Month, decimal? Amount, string? Reason, string? Contract);

    /// <summary>A credit as listed for a month.</summary>
    public sealed record CreditView(CustomerId Customer, string Month, Money Amount, string Reason, ContractId? Contract);

    public static IEndpointRouteBuilder MapBillingApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/v1/invoices/{number}", Document).RequireAuthorization(Policies.CustomerFinance);
        app.MapGet("/api/v1/credits", ListCredits).RequireAuthorization(Policies.Finance);
        app.MapPost("/api/v1/credits", AddCredit).RequireAuthorization(Policies.Finance);
        return app;
    }

    /// <summary>
    /// An issued invoice by number (INV-YYYY-MM-customer...), as JSON (default), a printable HTML page or CSV;
    /// a tenant gets only its own (any other number is 404).
    /// </summary>
    private static async Task<Results<Ok<Invoice>, ContentHttpResult, NotFound, ValidationProblem>> Document(
        LessorState s, ClaimsPrincipal user, string number, string? format, CancellationToken ct)
    {
        if (format is not (null or "json" or "html" or "csv"))
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["format"] = [$"'{format}' is not one of json, html, csv."] });
        // The number carries its month: INV-2026-10-meta.
        if (number.Length < 12 || !number.StartsWith("INV-", StringComparison.Ordinal)
            || !YearMonth.TryParse(number.AsSpan(4, 7).ToString(), out var month))
            return TypedResults.NotFound();
        var invoice = Billing.Read(await s.Store.IssuedInvoicesAsync(month, ct)).FirstOrDefault(i => i.Number == number);
        if (invoice is null || !user.MaySee(invoice.Customer.Value)) return TypedResults.NotFound();
        return format switch
        {
            "html" => TypedResults.Content(InvoiceRenderer.ToHtml(invoice), "text/html", Encoding.UTF8),
            "csv" => TypedResults.Content(InvoiceRenderer.ToCsv([invoice]), "text/csv", Encoding.UTF8),
            _ => TypedResults.Ok(invoice),
        };
    }

    private static async Task<Results<Ok<IReadOnlyList<CreditView>>, ValidationProblem>> ListCredits(LessorState s, string? month, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        if (DateInput.Month(errors, "month", month ?? "") is not { } m || errors.Count > 0) return TypedResults.ValidationProblem(errors);
        var credits = await s.Store.ListCreditsAsync(m, ct);
        return TypedResults.Ok<IReadOnlyList<CreditView>>([.. credits.Select(c => new CreditView(c.Customer, c.Month.ToString(), c.Amount, c.Reason, c.Contract))]);
    }

    /// <summary>Records a credit for a month not yet invoiced; it appears as its own line on that month's invoice.</summary>
    private static async Task<Results<Created<CreditView>, ValidationProblem, Conflict<ProblemDetails>>> AddCredit(LessorState s, CreditBody body, CancellationToken ct)
    {
        var scenario = s.Scenario;
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrWhiteSpace(body.Id)) errors["id"] = ["required: your id for this credit (recording the same id twice records it once)."];
        if (string.IsNullOrEmpty(body.Customer)) errors["customer"] = ["required: the customer owed the credit."];
        else if (scenario.Customers.All(c => c.Id.Value != body.Customer)) errors["customer"] = [Suggest.NoCustomer(scenario, body.Customer)];
        var month = DateInput.Month(errors, "month", body.Month ?? "");
        if (body.Amount is null) errors["amount"] = ["required: the amount in the book's currency."];
        else if (body.Amount <= 0) errors["amount"] = [$"{body.Amount.Value.ToString(CultureInfo.InvariantCulture)} must be positive; a credit reduces what the customer owes."];
        else if (decimal.Round(body.Amount.Value, 2) != body.Amount) errors["amount"] = ["at most two decimal places (cents)."];
        if (string.IsNullOrWhiteSpace(body.Reason)) errors["reason"] = ["required: why, printed on the invoice."];
        if (body.Contract is { Length: > 0 } contract && !errors.ContainsKey("customer")
            && scenario.Contracts.All(c => c.Id.Value != contract || c.Customer.Value != body.Customer))
            errors["contract"] = [$"no contract '{contract}' of {body.Customer}."];
        if (errors.Count > 0 || month is not { } m) return TypedResults.ValidationProblem(errors);
        if ((await s.Store.IssuedInvoicesAsync(m, ct)).Count > 0)
            return TypedResults.Conflict(new ProblemDetails
            {
                Title = "The month is already invoiced.",
                Detail = $"month: {m} is already invoiced and issued invoices never change; credit a later month.",
                Status = StatusCodes.Status409Conflict,
            });
        var currency = scenario.Contracts.FirstOrDefault(c => c.Customer.Value == body.Customer)?.Currency ?? scenario.Currency;
        var credit = new Credit(new CustomerId(body.Customer!), m, new Money(body.Amount!.Value, currency), body.Reason!)
        {
            Contract = body.Contract is { Length: > 0 } c ? new ContractId(c) : null,
        };
        await s.Store.AddCreditAsync(body.Id!, credit, ct);
        return TypedResults.Created($"/api/v1/credits?month={m}", new CreditView(credit.Customer, m.ToString(), credit.Amount, credit.Reason, credit.Contract));
    }
}
