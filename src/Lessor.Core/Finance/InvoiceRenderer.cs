using System.Globalization;
using System.Net;
using System.Text;

namespace Lessor.Core.Finance;

/// <summary>Invoices as text: CSV (one row per invoice line) and a printable HTML page. Pure string building, invariant culture.</summary>
public static class InvoiceRenderer
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>Header plus one row per invoice line; fields with commas, quotes or line breaks are quoted (RFC 4180).</summary>
    public static string ToCsv(IReadOnlyList<Invoice> invoices)
    {
        var sb = new StringBuilder();
        sb.Append("invoice,customer,month,currency,kind,contract,line,description,gpu_hours,rate,amount\n");
        foreach (var inv in invoices)
        {
            foreach (var l in inv.Lines)
            {
                Field(sb, inv.Number).Append(',');
                Field(sb, inv.Customer.Value).Append(',');
                Field(sb, inv.Month.ToString()).Append(',');
                Field(sb, inv.Currency.Code).Append(',');
                Field(sb, Kind(l.Kind)).Append(',');
                Field(sb, l.Contract?.Value ?? "").Append(',');
                Field(sb, l.Line?.Value ?? "").Append(',');
                Field(sb, l.Description).Append(',');
                sb.Append(l.GpuHours is { } h ? Math.Round(h, 4, MidpointRounding.AwayFromZero).ToString("0.####", Inv) : "").Append(',');
                sb.Append(l.Rate is { } r ? r.Amount.ToString("0.######", Inv) : "").Append(',');
                sb.Append(l.Amount.Amount.ToString("0.00", Inv)).Append('\n');
            }
        }
        return sb.ToString();
    }

    /// <summary>A self-contained printable page for one invoice; every value from data is HTML-encoded.</summary>
    public static string ToHtml(Invoice invoice)
    {
        var sb = new StringBuilder();
        var ccy = H(invoice.Currency.Code);
        sb.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>Invoice ").Append(H(invoice.Number)).Append("</title>\n");
        sb.Append("<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;width:100%}")
          .Append("th,td{border-bottom:1px solid #ccc;padding:4px 8px;text-align:left}td.n,th.n{text-align:right}")
          .Append("tfoot td{font-weight:bold}@media print{body{margin:0}}</style>\n</head>\n<body>\n");
        sb.Append("<h1>Invoice ").Append(H(invoice.Number)).Append("</h1>\n");
        sb.Append("<p>Customer: ").Append(H(invoice.CustomerName)).Append(" (").Append(H(invoice.Customer.Value)).Append(")<br>\n");
        sb.Append("Period: ").Append(H(invoice.Month.ToString())).Append("<br>\nIssued: ")
          .Append(invoice.IssuedOn.ToString("yyyy-MM-dd", Inv)).Append("<br>\nCurrency: ").Append(ccy).Append("</p>\n");
        sb.Append("<table>\n<thead><tr><th>Item</th><th>Contract</th><th>Line</th><th class=\"n\">GPU-hours</th><th class=\"n\">Rate</th><th class=\"n\">Amount</th></tr></thead>\n<tbody>\n");
        foreach (var l in invoice.Lines)
        {
            sb.Append("<tr><td>").Append(H(l.Description)).Append("</td><td>").Append(H(l.Contract?.Value ?? ""))
              .Append("</td><td>").Append(H(l.Line?.Value ?? "")).Append("</td><td class=\"n\">")
              .Append(l.GpuHours is { } h ? Math.Round(h, 2, MidpointRounding.AwayFromZero).ToString("#,0.00", Inv) : "")
              .Append("</td><td class=\"n\">").Append(l.Rate is { } r ? r.Amount.ToString("0.00####", Inv) : "")
              .Append("</td><td class=\"n\">").Append(Amount(l.Amount.Amount)).Append("</td></tr>\n");
        }
        sb.Append("</tbody>\n<tfoot>\n");
        Total(sb, "Charges", invoice.Charges.Amount);
        Total(sb, "Prepayment applied", -invoice.PrepaymentApplied.Amount);
        Total(sb, "Credits", -invoice.Credits.Amount);
        Total(sb, "Total due (" + invoice.Currency.Code + ")", invoice.Total.Amount);
        sb.Append("</tfoot>\n</table>\n</body>\n</html>\n");
        return sb.ToString();
    }

    private static void Total(StringBuilder sb, string label, decimal amount) =>
        sb.Append("<tr><td colspan=\"5\">").Append(H(label)).Append("</td><td class=\"n\">").Append(Amount(amount)).Append("</td></tr>\n");

    private static string Amount(decimal x) => x.ToString("#,0.00", Inv);

    private static string H(string s) => WebUtility.HtmlEncode(s);

    private static string Kind(InvoiceLineKind k) => k switch
    {
        InvoiceLineKind.Charge => "charge",
        InvoiceLineKind.CancellationFee => "cancellation_fee",
        InvoiceLineKind.PrepaymentDrawdown => "prepayment",
        _ => "credit",
    };

    private static StringBuilder Field(StringBuilder sb, string value)
    {
        if (value.AsSpan().IndexOfAny(",\"\r\n") < 0) return sb.Append(value);
        return sb.Append('"').Append(value.Replace("\"", "\"\"", StringComparison.Ordinal)).Append('"');
    }
}
