using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Lessor.Core.Finance;
using Lessor.Core.Model;

namespace Lessor.Server.Json;

/// <summary>
/// The one JSON shape of Lessor's values, shared by the HTTP API and the CLI's --json: ids and GPU counts
/// as plain values, money as {"amount": "1.50", "currency": "USD"} with the amount a decimal string (exact),
/// instants as ISO-8601 UTC, enums as lower-case strings.
/// </summary>
public static class LessorJson
{
    public static JsonSerializerOptions Options { get; } = Configure(new JsonSerializerOptions(JsonSerializerDefaults.Web) { WriteIndented = true });

    /// <summary>The same shape on one line, for stored documents.</summary>
    public static JsonSerializerOptions Compact { get; } = Configure(new JsonSerializerOptions(JsonSerializerDefaults.Web));

    /// <summary>Adds Lessor's converters and conventions to existing options (the web host's, say).</summary>
    public static JsonSerializerOptions Configure(JsonSerializerOptions o)
    {
        o.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
        o.DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull;
        o.NumberHandling = JsonNumberHandling.Strict;
        o.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower, allowIntegerValues: false));
        o.Converters.Add(new GpuCountConverter());
        o.Converters.Add(new MoneyConverter());
        o.Converters.Add(new CurrencyConverter());
        o.Converters.Add(new UtcDateTimeConverter());
        o.Converters.Add(new YearMonthConverter());
        o.Converters.Add(new PeriodConverter());
        o.Converters.Add(new IdConverter<PlatformId>(v => new(v), id => id.Value));
        o.Converters.Add(new IdConverter<RegionId>(v => new(v), id => id.Value));
        o.Converters.Add(new IdConverter<SiteId>(v => new(v), id => id.Value));
        o.Converters.Add(new IdConverter<FabricId>(v => new(v), id => id.Value));
        o.Converters.Add(new IdConverter<DeliveryId>(v => new(v), id => id.Value));
        o.Converters.Add(new IdConverter<CustomerId>(v => new(v), id => id.Value));
        o.Converters.Add(new IdConverter<ContractId>(v => new(v), id => id.Value));
        o.Converters.Add(new IdConverter<LineId>(v => new(v), id => id.Value));
        return o;
    }

    private sealed class IdConverter<T>(Func<string, T> create, Func<T, string> value) : JsonConverter<T>
    {
        public override T Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            reader.TokenType == JsonTokenType.String && reader.GetString() is { Length: > 0 } s
                ? create(s)
                : throw new JsonException($"Expected a non-empty string id for {typeof(T).Name}.");

        public override void Write(Utf8JsonWriter writer, T id, JsonSerializerOptions options) => writer.WriteStringValue(value(id));
    }

    private sealed class GpuCountConverter : JsonConverter<GpuCount>
    {
        public override GpuCount Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var n) && n >= 0
                ? new GpuCount(n)
                : throw new JsonException("Expected a non-negative whole number of GPUs.");

        public override void Write(Utf8JsonWriter writer, GpuCount value, JsonSerializerOptions options) => writer.WriteNumberValue(value.Value);
    }

    private sealed class CurrencyConverter : JsonConverter<Currency>
    {
        public override Currency Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            var code = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
            try
            {
                return new Currency(code ?? "");
            }
            catch (ArgumentException e)
            {
                throw new JsonException(e.Message, e);
            }
        }

        public override void Write(Utf8JsonWriter writer, Currency value, JsonSerializerOptions options) => writer.WriteStringValue(value.Code);
    }

    private sealed class MoneyConverter : JsonConverter<Money>
    {
        public override Money Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            if (reader.TokenType != JsonTokenType.StartObject) throw new JsonException("Expected money as {\"amount\": \"1.50\", \"currency\": \"USD\"}.");
            decimal? amount = null;
            string? currency = null;
            while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
            {
                var name = reader.GetString();
                reader.Read();
                switch (name)
                {
                    case "amount":
                        amount = reader.TokenType switch
                        {
                            JsonTokenType.String when decimal.TryParse(reader.GetString(), NumberStyles.Number, CultureInfo.InvariantCulture, out var d) => d,
                            JsonTokenType.Number => reader.GetDecimal(),
                            _ => throw new JsonException("amount: expected a decimal number or decimal string."),
                        };
                        break;
                    case "currency":
                        currency = reader.GetString();
                        break;
                    default:
                        throw new JsonException($"{name}: unknown field of money (amount, currency).");
                }
            }
            if (amount is null) throw new JsonException("amount: required.");
            if (currency is null) throw new JsonException("currency: required.");
            try
            {
                return new Money(amount.Value, new Currency(currency));
            }
            catch (ArgumentException e)
            {
                throw new JsonException($"currency: {e.Message}", e);
            }
        }

        public override void Write(Utf8JsonWriter writer, Money value, JsonSerializerOptions options)
        {
            writer.WriteStartObject();
            writer.WriteString("amount", value.Amount.ToString(CultureInfo.InvariantCulture));
            writer.WriteString("currency", value.Currency.Code);
            writer.WriteEndObject();
        }
    }

    private sealed class YearMonthConverter : JsonConverter<YearMonth>
    {
        public override YearMonth Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            YearMonth.TryParse(reader.GetString(), out var m) ? m : throw new JsonException($"'{reader.GetString()}' is not a month written YYYY-MM.");

        public override void Write(Utf8JsonWriter writer, YearMonth value, JsonSerializerOptions options) => writer.WriteStringValue(value.ToString());
    }

    /// <summary>Periods as {"start", "end"}: half-open, end exclusive.</summary>
    private sealed class PeriodConverter : JsonConverter<Period>
    {
        public override Period Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            if (reader.TokenType != JsonTokenType.StartObject) throw new JsonException("Expected a period as {\"start\": ..., \"end\": ...}.");
            DateTime? start = null, end = null;
            var instant = (JsonConverter<DateTime>)options.GetConverter(typeof(DateTime));
            while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
            {
                var name = reader.GetString();
                reader.Read();
                switch (name)
                {
                    case "start": start = instant.Read(ref reader, typeof(DateTime), options); break;
                    case "end": end = instant.Read(ref reader, typeof(DateTime), options); break;
                    default: throw new JsonException($"{name}: unknown field of a period (start, end).");
                }
            }
            if (start is null || end is null) throw new JsonException("A period needs start and end.");
            if (end <= start) throw new JsonException($"end: {end:O} is not after start {start:O}.");
            return new Period(start.Value, end.Value);
        }

        public override void Write(Utf8JsonWriter writer, Period value, JsonSerializerOptions options)
        {
            writer.WriteStartObject();
            writer.WriteString("start", value.Start.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture));
            writer.WriteString("end", value.End.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture));
            writer.WriteEndObject();
        }
    }

    private sealed class UtcDateTimeConverter : JsonConverter<DateTime>
    {
        public override DateTime Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            var s = reader.GetString();
            if (s is null) throw new JsonException("Expected a UTC date (2027-01-01) or instant (2027-01-01T00:00Z).");
            if (s.Length == 10 && DateTime.TryParseExact(s, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var d))
                return DateTime.SpecifyKind(d, DateTimeKind.Utc);
            if ((s.EndsWith('Z') || s.EndsWith("+00:00", StringComparison.Ordinal))
                && DateTime.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var t))
                return DateTime.SpecifyKind(t, DateTimeKind.Utc);
            throw new JsonException($"'{s}' is not a UTC date (2027-01-01) or instant ending in Z.");
        }

        public override void Write(Utf8JsonWriter writer, DateTime value, JsonSerializerOptions options)
        {
            var utc = value.Kind == DateTimeKind.Utc ? value : DateTime.SpecifyKind(value, DateTimeKind.Utc);
            writer.WriteStringValue(utc.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture));
        }
    }
}
