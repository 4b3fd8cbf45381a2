using System.Globalization;
using System.Text;
using System.Text.Unicode;
using Lessor.Core.Model;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Lessor.Storage.Scenarios;

/// <summary>
/// Reads and writes scenario files (YAML, or JSON, which YAML reads as a subset). Reading reports every
/// problem at once, each with its path, line and column, and yields no scenario unless nothing is wrong.
/// The format is documented in docs/scenario-format.md.
/// </summary>
public static class ScenarioFile
{
    private const string ReadsUpTo = "Lessor reads scenario files up to 67,108,864 bytes (64 MiB)";

    /// <summary>Parses YAML, or JSON when the text starts with <c>{</c>, then validates the scenario.</summary>
    public static ScenarioParseResult Parse(string text, string sourceName = "<input>") => Parse(text, sourceName, -1, 0);

    /// <param name="invalidUtf8At">Where the file's first byte that is not UTF-8 was replaced (a char index), or -1.</param>
    private static ScenarioParseResult Parse(string text, string sourceName, long invalidUtf8At, byte invalidByte)
    {
        ArgumentNullException.ThrowIfNull(text);
        var input = new YamlInput(sourceName);
        if (text.Length > ScenarioLimits.MaxFileBytes)
        {
            input.Error("", null, null, string.Create(CultureInfo.InvariantCulture, $"the text is {text.Length:N0} characters; {ReadsUpTo}"));
            return new ScenarioParseResult(null, input.Errors);
        }
        var trimmed = text.AsSpan().TrimStart();
        // JSON forbids raw tabs inside strings, so outside them they are only whitespace; YAML rejects tabs
        // as indentation, so they become spaces (one for one, so columns stay right).
        if (trimmed.Length > 0 && trimmed[0] == '{') text = text.Replace('\t', ' ');

        var scanner = new Scanner(new StringReader(text));
        var guard = new YamlGuard(new Parser(scanner), input) { InvalidUtf8At = invalidUtf8At };
        var root = Load(text, scanner, guard, input);
        if (invalidUtf8At >= 0)
        {
            var (line, column) = LineAndColumn(text, invalidUtf8At);
            input.Error(guard.InvalidUtf8Path ?? "", line, column, $"the file is not valid UTF-8 here (byte 0x{invalidByte:X2}); save it as UTF-8", placeholder: false);
        }
        if (root is null) return Result(null, input);

        var scenario = new ScenarioReader(input).Read(root);
        if (scenario is not null)
        {
            foreach (var issue in ScenarioValidator.Validate(scenario))
            {
                // An item with a field that could not be read holds a placeholder; what the validator says
                // about it would only repeat the reading error.
                if (input.ErrorPaths.Contains(YamlInput.ItemOf(issue.Path))) continue;
                var mark = YamlLocator.Find(root, issue.Path);
                input.Error(issue.Path, mark?.Line, mark?.Column, issue.Message, placeholder: false);
            }
        }
        return Result(scenario, input);
    }

    private static ScenarioParseResult Result(Scenario? scenario, YamlInput input)
    {
        if (input.Errors.Count == 0 && scenario is not null) return new ScenarioParseResult(scenario, []);
        // File order reads best; the sort is stable, so problems at one position keep the order they were found in.
        var ordered = input.Errors.OrderBy(e => e.Line ?? int.MaxValue).ThenBy(e => e.Column ?? 0).ToList();
        return new ScenarioParseResult(null, ordered);
    }

    /// <summary>The document's root through the guard, or null after reporting why there is none to read.</summary>
    private static YamlNode? Load(string text, Scanner scanner, YamlGuard guard, YamlInput input)
    {
        YamlNode? root;
        try
        {
            var stream = new YamlStream();
            stream.Load(guard);
            root = stream.Documents.Count == 0 ? null : stream.Documents[0].RootNode;
            if (stream.Documents.Count > 1)
                input.Error("", stream.Documents[1].RootNode, "the file holds more than one YAML document; put the whole scenario in one");
        }
        catch (YamlLimitException ex)
        {
            input.Error(ex.Path, ex.At.Line, ex.At.Column, ex.Message);
            return null;
        }
        catch (AnchorNotFoundException ex) when (AliasName(ex) is { } name && Locate(text, "*" + name) is { } at)
        {
            // YamlDotNet resolves aliases after the document and reports no position; the alias's text has one.
            input.Error("", at.Line, at.Column, $"YAML syntax error: the alias *{name} refers to no anchor &{name} defined before it");
            return null;
        }
        catch (YamlException ex)
        {
            input.Error("", ex.Start.Line, ex.Start.Column, $"YAML syntax error: {Describe(ex)}");
            return null;
        }
        catch (InvalidOperationException)
        {
            // YamlDotNet 18 throws this instead of a YamlException for some malformed flow collections
            // (an unclosed '{' at the end of a line); the scanner's position is still where reading stopped.
            var at = scanner.CurrentPosition;
            input.Error("", at.Line, at.Column, "YAML syntax error: the file cannot be read past here; look for an unclosed bracket, brace or quote");
            return null;
        }
        if (root is null || root is YamlScalarNode { Value: null or "" })
        {
            input.Error("", 1, 1, "the file is empty; a scenario needs at least a name");
            return null;
        }
        return root;
    }

    /// <summary>Reads and parses a file; a file that cannot be read is one error, not an exception.</summary>
    public static ScenarioParseResult Load(string path)
    {
        byte[] bytes;
        try
        {
            // Checked before reading, so a huge file costs nothing; ReadAllBytes then reads what is there.
            var length = new FileInfo(path).Length;
            if (length > ScenarioLimits.MaxFileBytes) return TooLarge(length, path);
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            return new ScenarioParseResult(null, [new ScenarioError("", null, null, $"cannot read the file: {ex.Message}") { Source = path }]);
        }
        return ParseBytes(bytes, path);
    }

    /// <summary>
    /// Decodes a file's bytes and parses them. UTF-8 (with or without a byte order mark) or, with a byte order mark,
    /// UTF-16 as Windows PowerShell writes it; a byte that is not UTF-8 is reported where it is, with its field,
    /// instead of being silently replaced by U+FFFD.
    /// </summary>
    internal static ScenarioParseResult ParseBytes(byte[] bytes, string sourceName = "<input>")
    {
        ArgumentNullException.ThrowIfNull(bytes);
        if (bytes.Length > ScenarioLimits.MaxFileBytes) return TooLarge(bytes.Length, sourceName);
        ReadOnlySpan<byte> span = bytes;
        if (span.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF])) span = span[3..];
        else if (span.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xFE]) || span.StartsWith((ReadOnlySpan<byte>)[0xFE, 0xFF]))
        {
            var encoding = new UnicodeEncoding(bigEndian: span[0] == 0xFE, byteOrderMark: true, throwOnInvalidBytes: true);
            try
            {
                return Parse(encoding.GetString(span[2..]), sourceName);
            }
            catch (DecoderFallbackException)
            {
                return new ScenarioParseResult(null, [new ScenarioError("", null, null, "the file starts like UTF-16 but is not valid UTF-16; save it as UTF-8") { Source = sourceName }]);
            }
        }
        if (Utf8.IsValid(span)) return Parse(Encoding.UTF8.GetString(span), sourceName);
        var bad = FirstInvalidUtf8(span);
        return Parse(Encoding.UTF8.GetString(span), sourceName, Encoding.UTF8.GetCharCount(span[..bad]), span[bad]);
    }

    private static ScenarioParseResult TooLarge(long length, string source) =>
        new(null, [new ScenarioError("", null, null, string.Create(CultureInfo.InvariantCulture, $"the file is {length:N0} bytes; {ReadsUpTo}")) { Source = source }]);

    private static int FirstInvalidUtf8(ReadOnlySpan<byte> span)
    {
        var chars = new char[span.Length];
        Utf8.ToUtf16(span, chars, out var read, out _, replaceInvalidSequences: false);
        return read;
    }

    /// <summary>1-based line and column of a char index, counting lines as YAML does for files written with \n or \r\n.</summary>
    private static (int Line, int Column) LineAndColumn(string text, long index)
    {
        var at = (int)index;
        var line = 1;
        for (var i = 0; i < at; i++) if (text[i] == '\n') line++;
        return (line, at - (text.LastIndexOf('\n', Math.Max(0, at - 1)) + 1) + 1);
    }

    /// <summary>The scenario as YAML in the documented format; defaults are left out.</summary>
    public static string ToYaml(Scenario s)
    {
        ArgumentNullException.ThrowIfNull(s);
        return ScenarioWriter.ToYaml(s);
    }

    /// <summary>The same document as <see cref="ToYaml"/>, as JSON.</summary>
    public static string ToJson(Scenario s)
    {
        ArgumentNullException.ThrowIfNull(s);
        return ScenarioWriter.ToJson(s);
    }

    /// <summary>An uncertainty model as the JSON of a file's <c>uncertainty:</c> section (how the store keeps it).</summary>
    public static string UncertaintyToJson(Core.Risk.UncertaintyModel model) =>
        ScenarioWriter.ToJson(new Scenario { Name = "uncertainty", Uncertainty = model });

    /// <summary>Reads back what <see cref="UncertaintyToJson"/> wrote (the store's copy, validated when it was imported).</summary>
    public static Core.Risk.UncertaintyModel UncertaintyFromJson(string json)
    {
        var input = new YamlInput("<store>");
        var scanner = new Scanner(new StringReader(json));
        var root = Load(json, scanner, new YamlGuard(new Parser(scanner), input), input);
        var f = root is null ? null : input.Open(root, "", ScenarioReader.TopKeys);
        var model = f is null ? null : new UncertaintyReader(input).Read(input.Get(f, "uncertainty", true), "uncertainty");
        return model is not null && input.Errors.Count == 0 ? model
            : throw new InvalidOperationException($"The stored uncertainty model does not read back: {string.Join("; ", input.Errors.Select(e => e.Path + ": " + e.Message))}");
    }

    /// <summary>
    /// A policy file: a name and the uncertainty sections it replaces (deliveries, power, failures, spares), checked like
    /// the scenario file against <paramref name="book"/> (every problem with its path, line and column).
    /// </summary>
    public static (Core.Risk.UncertaintyPolicy? Policy, IReadOnlyList<ScenarioError> Errors) ParsePolicy(string text, Scenario book, string sourceName = "<policy>")
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(book);
        var input = new YamlInput(sourceName);
        var scanner = new Scanner(new StringReader(text));
        var guard = new YamlGuard(new Parser(scanner), input);
        var root = Load(text, scanner, guard, input);
        if (root is null) return (null, input.Errors);
        var policy = new UncertaintyReader(input).ReadPolicy(root);
        if (policy is not null && input.Errors.Count == 0)
        {
            var model = new Core.Risk.UncertaintyModel { Deliveries = policy.Deliveries ?? [], Power = policy.Power ?? [], Failures = policy.Failures, Spares = policy.Spares ?? new(0) };
            foreach (var issue in Core.Risk.UncertaintyValidator.Validate(model, book, ""))
            {
                var mark = YamlLocator.Find(root, issue.Path);
                input.Error(issue.Path, mark?.Line, mark?.Column, issue.Message, placeholder: false);
            }
        }
        return input.Errors.Count == 0 ? (policy, []) : (null, input.Errors.OrderBy(e => e.Line ?? int.MaxValue).ThenBy(e => e.Column ?? 0).ToList());
    }

    private static string? AliasName(AnchorNotFoundException ex)
    {
        var m = ex.Message;
        var open = m.IndexOf('\'', StringComparison.Ordinal);
        var close = open < 0 ? -1 : m.IndexOf('\'', open + 1);
        return close > open + 1 ? m[(open + 1)..close] : null;
    }

    /// <summary>1-based line and column of the first occurrence of <paramref name="token"/> as a whole word.</summary>
    private static (int Line, int Column)? Locate(string text, string token)
    {
        for (var i = text.IndexOf(token, StringComparison.Ordinal); i >= 0; i = text.IndexOf(token, i + 1, StringComparison.Ordinal))
        {
            var end = i + token.Length;
            if (end < text.Length && !(char.IsWhiteSpace(text[end]) || text[end] is ',' or ']' or '}')) continue;
            var lineStart = text.LastIndexOf('\n', Math.Max(0, i - 1)) + 1;
            var line = 1;
            for (var k = 0; k < lineStart; k++) if (text[k] == '\n') line++;
            return (line, i - lineStart + 1);
        }
        return null;
    }

    private static string Describe(YamlException ex)
    {
        // YamlDotNet prefixes its messages with the marks, which the error already carries as line and column.
        var message = ex.InnerException is YamlException inner ? inner.Message : ex.Message;
        var close = message.IndexOf("): ", StringComparison.Ordinal);
        if (message.StartsWith('(') && close > 0) message = message[(close + 3)..];
        return message.TrimEnd('.');
    }
}
