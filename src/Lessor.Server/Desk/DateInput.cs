using Lessor.Core.Finance;
using Lessor.Core.Model;

namespace Lessor.Server.Desk;

/// <summary>
/// The supported time range (<see cref="Utc.SupportedRange"/>) applied to the dates and months clients send (API bodies
/// and queries, CLI options, deal files): one sentence per value outside it, for a field error. Dates that far out used
/// to reach month and year arithmetic that overflows .NET's calendar (500s, crashes) or be stored and break reads.
/// </summary>
public static class DateInput
{
    /// <summary>The first month whose first instant is in the range.</summary>
    public static readonly YearMonth FirstMonth = YearMonth.Of(Utc.SupportedRange.Start);

    /// <summary>The last month wholly in the range.</summary>
    public static readonly YearMonth LastMonth = YearMonth.Of(Utc.SupportedRange.End.AddTicks(-1));

    /// <summary>Why <paramref name="t"/> is refused, or null when it is absent or in range.</summary>
    public static string? Refusal(DateTime? t) => t is { } v && !Utc.InSupportedRange(v) ? Utc.OutOfRangeMessage(v) : null;

    /// <summary>Why <paramref name="month"/> is refused, or null when it is absent or in range.</summary>
    public static string? Refusal(YearMonth? month) =>
        month is { } m && (m < FirstMonth || m > LastMonth) ? $"{m} is outside the supported range {FirstMonth} to {LastMonth}." : null;

    /// <summary>Adds the field error for <paramref name="t"/> when it is out of range.</summary>
    public static void Check(IDictionary<string, string[]> errors, string field, DateTime? t)
    {
        ArgumentNullException.ThrowIfNull(errors);
        if (Refusal(t) is { } message) errors[field] = [message];
    }

    /// <summary>Adds the field error for <paramref name="month"/> when it is out of range.</summary>
    public static void Check(IDictionary<string, string[]> errors, string field, YearMonth? month)
    {
        ArgumentNullException.ThrowIfNull(errors);
        if (Refusal(month) is { } message) errors[field] = [message];
    }

    /// <summary>The given month when it is written YYYY-MM, null when absent; an error for text that is not a month or is out of range.</summary>
    public static YearMonth? Month(IDictionary<string, string[]> errors, string field, string? text)
    {
        ArgumentNullException.ThrowIfNull(errors);
        if (text is null) return null;
        if (!YearMonth.TryParse(text, out var month))
        {
            // 0000-01 and 9999-12 are well-formed months that a YearMonth cannot hold: say why they are refused.
            errors[field] = [WellFormed(text) ? $"{text} is outside the supported range {FirstMonth} to {LastMonth}." : $"'{text}' is not a month written YYYY-MM."];
            return null;
        }
        Check(errors, field, month);
        return month;
    }

    private static bool WellFormed(string text) =>
        text.Length == 7 && text[4] == '-'
        && !text.AsSpan(0, 4).ContainsAnyExceptInRange('0', '9') && !text.AsSpan(5, 2).ContainsAnyExceptInRange('0', '9')
        && (text[5] - '0') * 10 + (text[6] - '0') is >= 1 and <= 12;

    /// <summary>The month of <paramref name="t"/>, moved into the supported range: what a read derives from stored rows stays computable.</summary>
    public static YearMonth ClampedMonth(DateTime t) =>
        t < Utc.SupportedRange.Start ? FirstMonth : t >= Utc.SupportedRange.End ? LastMonth : YearMonth.Of(t);
}
