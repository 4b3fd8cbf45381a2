using System.Globalization;
using Lessor.Core.Model;

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

    public static string Exact(Money m) => $"{m.Amount.ToString("#,0.00", Inv)} {m.Currency.Code}";
    public static string Int(int n) => n.ToString("#,0", Inv);
    public static string Mw(decimal mw) => mw.ToString("#,0.0", Inv);
    public static string Date(DateTime t) => t.TimeOfDay == TimeSpan.Zero ? t.ToString("yyyy-MM-dd", Inv) : t.ToString("yyyy-MM-ddTHH:mmZ", Inv);
    public static string Period(Period p) => $"{Date(p.Start)} .. {Date(p.End)}";
}
