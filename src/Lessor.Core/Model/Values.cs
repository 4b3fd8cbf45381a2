using System.Globalization;

namespace Lessor.Core.Model;

/// <summary>A number of accelerators (packages, not dies). Never negative.</summary>
public readonly record struct GpuCount : IComparable<GpuCount>
{
    public GpuCount(int value)
    {
        if (value < 0) throw new ArgumentOutOfRangeException(nameof(value), value, "A GPU count cannot be negative.");
        Value = value;
    }

    public int Value { get; }

    public static GpuCount Zero => default;
    public static GpuCount operator +(GpuCount a, GpuCount b) => new(checked(a.Value + b.Value));
    public static GpuCount operator -(GpuCount a, GpuCount b) => new(checked(a.Value - b.Value));
    public static bool operator <(GpuCount a, GpuCount b) => a.Value < b.Value;
    public static bool operator >(GpuCount a, GpuCount b) => a.Value > b.Value;
    public static bool operator <=(GpuCount a, GpuCount b) => a.Value <= b.Value;
    public static bool operator >=(GpuCount a, GpuCount b) => a.Value >= b.Value;
    public int CompareTo(GpuCount other) => Value.CompareTo(other.Value);
    public override string ToString() => Value.ToString(CultureInfo.InvariantCulture);
}

/// <summary>An ISO 4217 currency code such as USD.</summary>
public readonly record struct Currency
{
    public Currency(string code)
    {
        if (code is null || code.Length != 3 || !code.All(char.IsAsciiLetterUpper))
            throw new ArgumentException($"'{code}' is not a three-letter upper-case ISO 4217 code.", nameof(code));
        Code = code;
    }

    public string Code { get; }
    public static Currency Usd { get; } = new("USD");
    public override string ToString() => Code;
}

/// <summary>An amount of money in one currency. Arithmetic across currencies is a bug and throws.</summary>
public readonly record struct Money : IComparable<Money>
{
    public Money(decimal amount, Currency currency)
    {
        if (currency.Code is null) throw new ArgumentException("Money needs a currency.", nameof(currency));
        Amount = amount;
        Currency = currency;
    }

    public decimal Amount { get; }
    public Currency Currency { get; }

    public static Money Zero(Currency currency) => new(0m, currency);
    public static Money Usd(decimal amount) => new(amount, Currency.Usd);

    public static Money operator +(Money a, Money b) => new(a.Amount + b.Amount, Same(a, b));
    public static Money operator -(Money a, Money b) => new(a.Amount - b.Amount, Same(a, b));
    public static Money operator -(Money a) => new(-a.Amount, a.Currency);
    public static Money operator *(Money a, decimal factor) => new(a.Amount * factor, a.Currency);
    public static Money operator *(decimal factor, Money a) => new(a.Amount * factor, a.Currency);
    public static bool operator <(Money a, Money b) => a.CompareTo(b) < 0;
    public static bool operator >(Money a, Money b) => a.CompareTo(b) > 0;
    public static bool operator <=(Money a, Money b) => a.CompareTo(b) <= 0;
    public static bool operator >=(Money a, Money b) => a.CompareTo(b) >= 0;

    /// <summary>Rounds to cents, half away from zero, as invoices do.</summary>
    public Money RoundToCents() => new(Math.Round(Amount, 2, MidpointRounding.AwayFromZero), Currency);

    public int CompareTo(Money other)
    {
        Same(this, other);
        return Amount.CompareTo(other.Amount);
    }

    public override string ToString() => $"{Amount.ToString("0.##########", CultureInfo.InvariantCulture)} {Currency.Code}";

    private static Currency Same(Money a, Money b) =>
        a.Currency == b.Currency
            ? a.Currency
            : throw new InvalidOperationException($"Cannot combine {a.Currency} and {b.Currency} amounts.");
}

/// <summary>A half-open interval of UTC time [Start, End). Start is before End.</summary>
public readonly record struct Period
{
    public Period(DateTime start, DateTime end)
    {
        if (start.Kind != DateTimeKind.Utc) throw new ArgumentException("Period start must be UTC.", nameof(start));
        if (end.Kind != DateTimeKind.Utc) throw new ArgumentException("Period end must be UTC.", nameof(end));
        if (end <= start) throw new ArgumentException($"Period end {end:O} is not after its start {start:O}.", nameof(end));
        Start = start;
        End = end;
    }

    /// <summary>Inclusive start.</summary>
    public DateTime Start { get; }

    /// <summary>Exclusive end.</summary>
    public DateTime End { get; }

    public TimeSpan Duration => End - Start;
    public decimal Hours => (decimal)(End - Start).Ticks / TimeSpan.TicksPerHour;
    public bool Contains(DateTime t) => Start <= t && t < End;
    public bool Overlaps(Period other) => Start < other.End && other.Start < End;

    public Period? Intersect(Period other)
    {
        var s = Start > other.Start ? Start : other.Start;
        var e = End < other.End ? End : other.End;
        return s < e ? new Period(s, e) : null;
    }

    public override string ToString() => $"[{Start:yyyy-MM-ddTHH:mmZ}, {End:yyyy-MM-ddTHH:mmZ})";
}

/// <summary>Helpers for UTC instants: every time in Lessor is UTC; the ledger works in whole minutes.</summary>
public static class Utc
{
    /// <summary>The ledger's epoch; minute indices count from here.</summary>
    public static readonly DateTime Epoch = new(2000, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    public static DateTime Date(int year, int month, int day) => new(year, month, day, 0, 0, 0, DateTimeKind.Utc);

    /// <summary>
    /// The instants Lessor accepts anywhere (files, API, CLI): [2000-01-01, 2200-01-01). Every date a user gives, and
    /// every date derived from one (a year ahead, a term extended by a slip), stays far inside .NET's range.
    /// </summary>
    public static readonly Period SupportedRange = new(Epoch, new DateTime(2200, 1, 1, 0, 0, 0, DateTimeKind.Utc));

    /// <summary>True when <paramref name="t"/> lies in <see cref="SupportedRange"/> (its end is allowed as an exclusive period end).</summary>
    public static bool InSupportedRange(DateTime t) => t >= SupportedRange.Start && t <= SupportedRange.End;

    /// <summary>The sentence that says why an instant was refused, for field errors.</summary>
    public static string OutOfRangeMessage(DateTime t) =>
        $"{t:yyyy-MM-dd} is outside the supported range {SupportedRange.Start:yyyy-MM-dd} to {SupportedRange.End:yyyy-MM-dd}.";

    /// <summary>Whole minutes since <see cref="Epoch"/>; the instant must lie on a minute boundary.</summary>
    public static long ToMinute(DateTime t)
    {
        if (t.Kind != DateTimeKind.Utc) throw new ArgumentException("Instant must be UTC.", nameof(t));
        var ticks = t.Ticks - Epoch.Ticks;
        if (ticks % TimeSpan.TicksPerMinute != 0) throw new ArgumentException($"{t:O} is not on a minute boundary.", nameof(t));
        return ticks / TimeSpan.TicksPerMinute;
    }

    public static DateTime FromMinute(long minute) => new(Epoch.Ticks + minute * TimeSpan.TicksPerMinute, DateTimeKind.Utc);
}

/// <summary>
/// Magnitudes Lessor accepts, so that every derived figure (a line's value, a book's TCV, a month's invoice) is
/// computable in decimal without overflow: anything larger is refused at the edge with the field named.
/// </summary>
public static class Limits
{
    /// <summary>The most a GPU-hour may cost (list prices are a few dollars; this is a typo guard, not a price policy).</summary>
    public const decimal MaxPricePerGpuHour = 1_000_000m;

    /// <summary>The largest amount of money in one field (a prepayment, a cap, a fee): a quadrillion.</summary>
    public const decimal MaxAmount = 1_000_000_000_000_000m;

    /// <summary>The largest value of one line (GPUs x hours x price); a book of a billion such lines still fits in decimal.</summary>
    public const decimal MaxLineValue = 1_000_000_000_000_000_000m;

    /// <summary>GPUs x hours x price of a line, or why it is refused (null when within bounds).</summary>
    public static string? LineValueProblem(int gpus, Period period, decimal pricePerGpuHour)
    {
        if (pricePerGpuHour > MaxPricePerGpuHour)
            return string.Create(CultureInfo.InvariantCulture, $"{pricePerGpuHour} per GPU-hour is above the limit of {MaxPricePerGpuHour:N0}");
        // At most 2^31 GPUs x 1.75M hours (200 years) x 1e6: about 3.8e21, far inside decimal.
        var value = gpus * period.Hours * pricePerGpuHour;
        return value > MaxLineValue
            ? string.Create(CultureInfo.InvariantCulture, $"the line's value ({gpus:N0} GPUs x {period.Hours:N0} hours x {pricePerGpuHour}) is above the limit of {MaxLineValue:E0}")
            : null;
    }
}
