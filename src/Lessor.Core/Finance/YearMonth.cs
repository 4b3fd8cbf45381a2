using System.Globalization;
using Lessor.Core.Model;

namespace Lessor.Core.Finance;

/// <summary>A calendar month in UTC, the unit of revenue reports and invoices: [first instant, first instant of the next).</summary>
public readonly record struct YearMonth : IComparable<YearMonth>
{
    public YearMonth(int year, int month)
    {
        if (year is < 1 or > 9998) throw new ArgumentOutOfRangeException(nameof(year), year, "Year must be between 1 and 9998.");
        if (month is < 1 or > 12) throw new ArgumentOutOfRangeException(nameof(month), month, "Month must be between 1 and 12.");
        Year = year;
        Month = month;
    }

    public int Year { get; }
    public int Month { get; }

    /// <summary>First instant of the month (inclusive).</summary>
    public DateTime Start => new(Year, Month, 1, 0, 0, 0, DateTimeKind.Utc);

    /// <summary>First instant of the next month (exclusive end).</summary>
    public DateTime End => Start.AddMonths(1);

    public Period Period => new(Start, End);
    public YearMonth Next => Month == 12 ? new(Year + 1, 1) : new(Year, Month + 1);
    public YearMonth Previous => Month == 1 ? new(Year - 1, 12) : new(Year, Month - 1);

    /// <summary>The month holding instant t.</summary>
    public static YearMonth Of(DateTime t) => new(t.Year, t.Month);

    /// <summary>Months from a to b (b - a); negative when b is earlier.</summary>
    public static int MonthsBetween(YearMonth a, YearMonth b) => (b.Year - a.Year) * 12 + (b.Month - a.Month);

    public YearMonth AddMonths(int months)
    {
        var index = checked(Year * 12 + (Month - 1) + months);
        return new(index / 12, index % 12 + 1);
    }

    /// <summary>Parses "YYYY-MM" exactly; returns false for anything else.</summary>
    public static bool TryParse(string? text, out YearMonth value)
    {
        value = default;
        if (text is null || text.Length != 7 || text[4] != '-') return false;
        if (!int.TryParse(text.AsSpan(0, 4), NumberStyles.None, CultureInfo.InvariantCulture, out var y)) return false;
        if (!int.TryParse(text.AsSpan(5, 2), NumberStyles.None, CultureInfo.InvariantCulture, out var m)) return false;
        if (y < 1 || y > 9998 || m < 1 || m > 12) return false;
        value = new YearMonth(y, m);
        return true;
    }

    /// <summary>Parses "YYYY-MM"; throws a FormatException naming the text otherwise.</summary>
    public static YearMonth Parse(string text) =>
        TryParse(text, out var v) ? v : throw new FormatException($"'{text}' is not a month in the form YYYY-MM.");

    public int CompareTo(YearMonth other) => Year != other.Year ? Year.CompareTo(other.Year) : Month.CompareTo(other.Month);
    public static bool operator <(YearMonth a, YearMonth b) => a.CompareTo(b) < 0;
    public static bool operator >(YearMonth a, YearMonth b) => a.CompareTo(b) > 0;
    public static bool operator <=(YearMonth a, YearMonth b) => a.CompareTo(b) <= 0;
    public static bool operator >=(YearMonth a, YearMonth b) => a.CompareTo(b) >= 0;

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Year:D4}-{Month:D2}");
}
