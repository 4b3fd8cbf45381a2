using System.Globalization;
using Lessor.Core.Model;
using Spectre.Console;

namespace Lessor.Cli;

/// <summary>Human formatting for tables: compact money, thousands separators, UTC dates.</summary>
internal static class Format
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static string Compact(Money m)
    {
        var a = Math.Abs(m.Amount);
        var (scaled, suffix) = a switch
        {
            >= 1_000_000_000m => (m.Amount / 1_000_000_000m, "B"),
            >= 1_000_000m => (m.Amount / 1_000_000m, "M"),
            >= 1_000m => (m.Amount / 1_000m, "k"),
            _ => (m.Amount, ""),
        };
        return $"{scaled.ToString("0.##", Inv)}{suffix} {m.Currency.Code}";
    }

    /// <summary>Compact money without its currency, for tables whose title names it: 516.14M.</summary>
    public static string CompactAmount(Money m)
    {
        var text = Compact(m);
        return text[..text.LastIndexOf(' ')];
    }

    public static string Exact(Money m) => $"{m.Amount.ToString("#,0.00", Inv)} {m.Currency.Code}";
    public static string Int(int n) => n.ToString("#,0", Inv);
    public static string Mw(decimal mw) => mw.ToString("#,0.0", Inv);
    public static string Date(DateTime t) => t.TimeOfDay == TimeSpan.Zero ? t.ToString("yyyy-MM-dd", Inv) : t.ToString("yyyy-MM-ddTHH:mmZ", Inv);
    public static string Period(Period p) => $"{Date(p.Start)} .. {Date(p.End)}";

    /// <summary>A price per GPU-hour as the console shows it: to the cent, then as many more digits as it has (4.9269, 4.70).</summary>
    public static string Price(Money m) => $"{m.Amount.ToString("#,0.00##", Inv)} {m.Currency.Code}";

    /// <summary>An enum value in the one spelling the CLI and console use: TakeOrPay -> take-or-pay.</summary>
    public static string Name(Enum value)
    {
        var text = value.ToString();
        var sb = new System.Text.StringBuilder(text.Length + 4);
        for (var i = 0; i < text.Length; i++)
        {
            if (char.IsUpper(text[i]) && i > 0) sb.Append('-');
            sb.Append(char.ToLowerInvariant(text[i]));
        }
        return sb.ToString();
    }
}

/// <summary>Table columns with numbers right-aligned, so figures line up by their last digit.</summary>
internal static class TableColumns
{
    public static Spectre.Console.Table Columns(this Spectre.Console.Table table, IEnumerable<string> headers, params string[] numeric)
    {
        foreach (var h in headers)
            table.AddColumn(numeric.Contains(h) ? new Spectre.Console.TableColumn(h).RightAligned() : new Spectre.Console.TableColumn(h));
        return table;
    }
}
