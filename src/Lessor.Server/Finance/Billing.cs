using System.Text.Json;
using Lessor.Core.Finance;
using Lessor.Server.Json;
using Lessor.Storage.Store;

namespace Lessor.Server.Finance;

/// <summary>The outcome of a billing run: the month's invoices as issued, and whether this run issued them.</summary>
public sealed record BillingRun(YearMonth Month, IReadOnlyList<Invoice> Invoices, bool Fresh, string? Refused)
{
    public bool Ok => Refused is null;
}

/// <summary>
/// Issues monthly invoices: computed from the book, stored once as immutable documents, and returned unchanged
/// on every later run of the same month (corrections are credits on a later month).
/// </summary>
public static class Billing
{
    public static async Task<BillingRun> RunMonthAsync(LessorStore store, FinanceBook book, YearMonth month, DateTime today, CancellationToken ct)
    {
        if (month.End > today)
            return new BillingRun(month, [], false, $"{month} has not closed yet (it ends {month.End:yyyy-MM-dd}); invoices are issued for closed months.");
        var credits = await store.ListCreditsAsync(month, ct);
        var computed = InvoiceRun.ForMonth(book, month, credits);
        var documents = computed.Select(i => new IssuedInvoice(i.Number, month, i.Customer, JsonSerializer.Serialize(i, LessorJson.Compact))).ToList();
        var (issued, fresh) = await store.IssueInvoicesAsync(month, documents, ct);
        return new BillingRun(month, Read(issued), fresh, null);
    }

    /// <summary>Issued invoices back from their stored documents.</summary>
    public static IReadOnlyList<Invoice> Read(IReadOnlyList<IssuedInvoice> issued) =>
        issued.Select(d => JsonSerializer.Deserialize<Invoice>(d.Document, LessorJson.Compact)
            ?? throw new InvalidDataException($"Issued invoice {d.Number} could not be read back.")).ToList();
}
