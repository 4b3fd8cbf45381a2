using System.Globalization;

namespace Lessor.Core.Model;

/// <summary>Formats values for messages and files the same way everywhere: invariant culture, UTC dates as planners write them.</summary>
public static class ModelText
{
    /// <summary>A date as <c>2027-01-01</c> when it is midnight UTC, otherwise <c>2027-01-01T08:30Z</c> (seconds only when not zero).</summary>
    public static string Date(DateTime t)
    {
        if (t.TimeOfDay == TimeSpan.Zero) return t.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        if (t.Ticks % TimeSpan.TicksPerMinute == 0) return t.ToString("yyyy-MM-dd'T'HH:mm'Z'", CultureInfo.InvariantCulture);
        return t.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", CultureInfo.InvariantCulture);
    }

    /// <summary>A decimal exactly as stored (trailing zeros kept, so a file round-trips byte for byte).</summary>
    public static string Num(decimal d) => d.ToString(CultureInfo.InvariantCulture);

    /// <summary>A decimal without trailing zeros, for messages.</summary>
    public static string Short(decimal d) => d.ToString("0.##########", CultureInfo.InvariantCulture);

    /// <summary>An integer in invariant culture.</summary>
    public static string Int(long n) => n.ToString(CultureInfo.InvariantCulture);
}
