using System.Globalization;
using Lessor.Core.Model;
using YamlDotNet.RepresentationModel;

namespace Lessor.Storage.Scenarios;

/// <summary>
/// The typed accessors the scenario reader builds on: each reads one field of a YAML mapping, reports what is
/// wrong with it (missing, wrong type, bad date...) at the node's line, and returns null so reading goes on.
/// </summary>
internal sealed class YamlInput(string source)
{
    public readonly List<ScenarioError> Errors = [];

    /// <summary>
    /// Items (e.g. <c>contracts[0].lines[2]</c>) in which a value could not be read and a placeholder stands in;
    /// what the validator says about such an item itself (not its sub-items) would only echo the reading
    /// error, so it is held back.
    /// </summary>
    public readonly HashSet<string> ErrorPaths = new(StringComparer.Ordinal);

    public void Error(string path, YamlNode? node, string message, bool placeholder = true) =>
        Error(path, node?.Start.Line, node?.Start.Column, message, placeholder);

    public void Error(string path, long? line, long? column, string message, bool placeholder = true)
    {
        if (placeholder) ErrorPaths.Add(ItemOf(path));
        Errors.Add(new ScenarioError(Cut(path, 200), line is { } l ? (int)l : null, column is { } c ? (int)c : null, Cut(message, 300)) { Source = source });
    }

    /// <summary>
    /// Messages quote what the file holds (a key, a value), so a file of huge keys or values would make huge
    /// errors; past <paramref name="max"/> characters the middle is left out, which keeps both ends readable.
    /// </summary>
    internal static string Cut(string text, int max)
    {
        if (text.Length <= max) return text;
        var keep = (max - 40) / 2;
        var omitted = string.Create(CultureInfo.InvariantCulture, $" … ({text.Length - 2 * keep:N0} characters left out) … ");
        return string.Concat(text.AsSpan(0, keep), omitted, text.AsSpan(text.Length - keep));
    }

    /// <summary>The innermost list item a path lies in (<c>contracts[0].lines[2]</c> for <c>contracts[0].lines[2].gpus</c>), or "" at the top.</summary>
    public static string ItemOf(string path)
    {
        var end = path.LastIndexOf(']');
        return end < 0 ? "" : path[..(end + 1)];
    }

    /// <summary>A mapping's fields by known key; unknown keys are reported once, here, with a suggestion.</summary>
    public Fields? Open(YamlNode? node, string path, string[] keys)
    {
        if (node is null) return null;
        if (node is not YamlMappingNode map)
        {
            Error(path, node, $"expected a mapping of fields ({string.Join(", ", keys)}), found {Describe(node)}");
            return null;
        }
        var values = new YamlNode?[keys.Length];
        foreach (var (keyNode, value) in map.Children)
        {
            var key = (keyNode as YamlScalarNode)?.Value ?? "";
            var slot = Array.IndexOf(keys, key);
            if (slot < 0)
            {
                var hint = Suggest(key, keys);
                Error(Join(path, key), keyNode,
                    hint is null ? $"unknown field; expected one of {string.Join(", ", keys)}" : $"unknown field; did you mean {hint}?",
                    placeholder: false);
                continue;
            }
            values[slot] = value;
        }
        return new Fields(map, path, keys, values);
    }

    public static string Join(string path, string key) => path.Length == 0 ? key : $"{path}.{key}";

    private static string Describe(YamlNode node) => node switch
    {
        YamlSequenceNode => "a list",
        YamlMappingNode => "a mapping",
        YamlScalarNode s => $"'{s.Value}'",
        _ => "something else",
    };

    /// <summary>The closest known key within two edits (or a third of its length), for "did you mean".</summary>
    internal static string? Suggest(string key, string[] keys)
    {
        // Beyond this no key is within reach, and the edit distance costs length x length.
        if (key.Length > 64) return null;
        string? best = null;
        var bestDistance = int.MaxValue;
        foreach (var k in keys)
        {
            var d = Distance(key, k);
            if (d < bestDistance)
            {
                bestDistance = d;
                best = k;
            }
        }
        return bestDistance <= Math.Max(2, key.Length / 3) ? best : null;
    }

    private static int Distance(string a, string b)
    {
        var prev = new int[b.Length + 1];
        var cur = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++) prev[j] = j;
        for (var i = 1; i <= a.Length; i++)
        {
            cur[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                cur[j] = Math.Min(Math.Min(prev[j] + 1, cur[j - 1] + 1), prev[j - 1] + cost);
            }
            (prev, cur) = (cur, prev);
        }
        return prev[b.Length];
    }

    /// <summary>The value node of a field, or null when it is absent or written as null; reports a missing required field.</summary>
    public YamlNode? Get(Fields f, string key, bool required)
    {
        var node = f.Values[Array.IndexOf(f.Keys, key)];
        if (node is YamlScalarNode { Style: YamlDotNet.Core.ScalarStyle.Plain } s && (s.Value is null or "" or "~" or "null"))
            node = null;
        if (node is null && required) Error(Join(f.Path, key), f.Node, $"missing required field {key}");
        return node;
    }

    private string? Scalar(Fields f, string key, bool required, out YamlNode? node)
    {
        node = Get(f, key, required);
        if (node is null) return null;
        if (node is YamlScalarNode s) return s.Value ?? "";
        Error(Join(f.Path, key), node, $"expected a single value, found {Describe(node)}");
        return null;
    }

    public string? Str(Fields f, string key, bool required) => Scalar(f, key, required, out _);

    public int? Int(Fields f, string key, bool required)
    {
        var text = Scalar(f, key, required, out var node);
        if (text is null) return null;
        if (int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n)) return n;
        Error(Join(f.Path, key), node, TryDecimal(text, out var d) && d == decimal.Truncate(d) && d.ToString(CultureInfo.InvariantCulture).Length > 9
            ? $"'{text}' is too large; Lessor accepts whole numbers up to {int.MaxValue:N0}"
            : TryDecimal(text, out _) ? $"'{text}' is not a whole number" : NotANumber(text));
        return null;
    }

    public decimal? Dec(Fields f, string key, bool required)
    {
        var text = Scalar(f, key, required, out var node);
        if (text is null) return null;
        if (TryDecimal(text, out var d)) return d;
        Error(Join(f.Path, key), node, NotANumber(text));
        return null;
    }

    /// <summary>
    /// Quantities and money beyond a quintillion are typing mistakes, and near decimal's limit they would
    /// overflow later arithmetic (MW x 1000), so they do not count as numbers.
    /// </summary>
    private const decimal Largest = 1_000_000_000_000_000_000m;

    private static bool TryDecimal(string text, out decimal d) =>
        decimal.TryParse(text, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent,
            CultureInfo.InvariantCulture, out d)
        && d is <= Largest and >= -Largest;

    private static string NotANumber(string text) =>
        decimal.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out _) || double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out _)
            ? $"'{text}' is too large; Lessor accepts numbers up to {Largest:N0}"
            : $"'{text}' is not a number";

    /// <summary>A money value: a plain number in the governing currency, or "1.85 EUR" to state another.</summary>
    public Money? Money(Fields f, string key, bool required, Currency currency)
    {
        var text = Scalar(f, key, required, out var node);
        if (text is null) return null;
        if (TryDecimal(text, out var d)) return new Money(d, currency);
        var space = text.LastIndexOf(' ');
        if (space > 0 && TryDecimal(text[..space].Trim(), out d) && TryCurrency(text[(space + 1)..], out var c))
            return new Money(d, c);
        Error(Join(f.Path, key), node, $"'{text}' is not an amount of money; write a number such as 1.85 (in {currency.Code}) or 1.85 EUR");
        return null;
    }

    public static bool TryCurrency(string code, out Currency currency)
    {
        if (code.Length == 3 && code.All(char.IsAsciiLetterUpper))
        {
            currency = new Currency(code);
            return true;
        }
        currency = default;
        return false;
    }

    public Currency? CurrencyField(Fields f, string key)
    {
        var text = Scalar(f, key, false, out var node);
        if (text is null) return null;
        if (TryCurrency(text, out var c)) return c;
        Error(Join(f.Path, key), node, $"'{text}' is not a three-letter upper-case ISO 4217 currency code such as USD");
        return null;
    }

    public DateTime? Date(Fields f, string key, bool required)
    {
        var text = Scalar(f, key, required, out var node);
        if (text is null) return null;
        var problem = TryDate(text, out var t);
        if (problem is null) return t;
        Error(Join(f.Path, key), node, problem);
        return null;
    }

    /// <summary>Null when <paramref name="text"/> is a UTC date or minute; otherwise what is wrong with it.</summary>
    internal static string? TryDate(string text, out DateTime t)
    {
        var inv = CultureInfo.InvariantCulture;
        const DateTimeStyles utc = DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal;
        if (DateTime.TryParseExact(text, "yyyy-MM-dd", inv, utc, out t)) return null;
        if (DateTime.TryParseExact(text, ["yyyy-MM-dd'T'HH:mm'Z'", "yyyy-MM-dd'T'HH:mm:ss'Z'", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'"], inv, utc, out t))
        {
            return t.Ticks % TimeSpan.TicksPerMinute == 0 ? null : $"'{text}' is not on a whole minute; Lessor keeps time to the minute";
        }
        if (DateTimeOffset.TryParse(text, inv, DateTimeStyles.None, out var withOffset) && text.Length > 10)
        {
            t = default;
            return withOffset.Offset != TimeSpan.Zero || text.EndsWith("+00:00", StringComparison.Ordinal)
                ? $"'{text}' has a UTC offset; write times in UTC with a trailing Z, e.g. {ModelText.Date(withOffset.UtcDateTime)}"
                : $"'{text}' has no time zone; write times in UTC with a trailing Z, e.g. {text}Z";
        }
        t = default;
        return $"'{text}' is not a date; write 2027-01-01 (midnight UTC) or 2027-01-01T08:30Z";
    }

    public T? Enum<T>(Fields f, string key, bool required, string[] names, T[] values) where T : struct
    {
        var text = Scalar(f, key, required, out var node);
        if (text is null) return null;
        var i = Array.IndexOf(names, text);
        if (i >= 0) return values[i];
        Error(Join(f.Path, key), node, $"'{text}' is not one of {string.Join(", ", names)}");
        return null;
    }

    /// <summary>The items of a list field (empty when absent); a single scalar counts as a one-item list when <paramref name="scalarAsList"/>.</summary>
    public IReadOnlyList<YamlNode> List(Fields f, string key, bool required, bool scalarAsList = false)
    {
        var node = Get(f, key, required);
        switch (node)
        {
            case null: return [];
            case YamlSequenceNode seq: return seq.Children as IReadOnlyList<YamlNode> ?? [.. seq.Children];
            case YamlScalarNode when scalarAsList: return [node];
            default:
                Error(Join(f.Path, key), node, $"expected a list, found {Describe(node)}");
                return [];
        }
    }

    /// <summary>A scalar list item as text, reporting anything else.</summary>
    public string? Item(YamlNode node, string path)
    {
        if (node is YamlScalarNode s && !string.IsNullOrEmpty(s.Value)) return s.Value;
        Error(path, node, $"expected a single value, found {Describe(node)}");
        return null;
    }

    public YamlNode? Node(Fields f, string key) => f.Values[Array.IndexOf(f.Keys, key)];
}

/// <summary>A YAML mapping opened against the keys its type allows.</summary>
internal sealed record Fields(YamlMappingNode Node, string Path, string[] Keys, YamlNode?[] Values);
