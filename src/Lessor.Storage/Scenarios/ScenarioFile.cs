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
    /// <summary>Parses YAML, or JSON when the text starts with <c>{</c>, then validates the scenario.</summary>
    public static ScenarioParseResult Parse(string text, string sourceName = "<input>")
    {
        ArgumentNullException.ThrowIfNull(text);
        var input = new YamlInput(sourceName);
        var trimmed = text.AsSpan().TrimStart();
        // JSON forbids raw tabs inside strings, so outside them they are only whitespace; YAML rejects tabs
        // as indentation, so they become spaces (one for one, so columns stay right).
        if (trimmed.Length > 0 && trimmed[0] == '{') text = text.Replace('\t', ' ');

        YamlNode? root;
        var scanner = new Scanner(new StringReader(text));
        try
        {
            var stream = new YamlStream();
            stream.Load(new Parser(scanner));
            root = stream.Documents.Count == 0 ? null : stream.Documents[0].RootNode;
            if (stream.Documents.Count > 1)
                input.Error("", stream.Documents[1].RootNode, "the file holds more than one YAML document; put the whole scenario in one");
        }
        catch (AnchorNotFoundException ex) when (AliasName(ex) is { } name && Locate(text, "*" + name) is { } at)
        {
            // YamlDotNet resolves aliases after the document and reports no position; the alias's text has one.
            input.Error("", at.Line, at.Column, $"YAML syntax error: the alias *{name} refers to no anchor &{name} defined before it");
            return new ScenarioParseResult(null, input.Errors);
        }
        catch (YamlException ex)
        {
            input.Error("", ex.Start.Line, ex.Start.Column, $"YAML syntax error: {Describe(ex)}");
            return new ScenarioParseResult(null, input.Errors);
        }
        catch (InvalidOperationException)
        {
            // YamlDotNet 18 throws this instead of a YamlException for some malformed flow collections
            // (an unclosed '{' at the end of a line); the scanner's position is still where reading stopped.
            var at = scanner.CurrentPosition;
            input.Error("", at.Line, at.Column, "YAML syntax error: the file cannot be read past here; look for an unclosed bracket, brace or quote");
            return new ScenarioParseResult(null, input.Errors);
        }
        if (root is null || root is YamlScalarNode { Value: null or "" })
        {
            input.Error("", 1, 1, "the file is empty; a scenario needs at least a name");
            return new ScenarioParseResult(null, input.Errors);
        }

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
        if (input.Errors.Count == 0) return new ScenarioParseResult(scenario, []);
        // File order reads best; the sort is stable, so problems at one position keep the order they were found in.
        var ordered = input.Errors.OrderBy(e => e.Line ?? int.MaxValue).ThenBy(e => e.Column ?? 0).ToList();
        return new ScenarioParseResult(null, ordered);
    }

    /// <summary>Reads and parses a file; a file that cannot be read is one error, not an exception.</summary>
    public static ScenarioParseResult Load(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            return new ScenarioParseResult(null, [new ScenarioError("", null, null, $"cannot read the file: {ex.Message}") { Source = path }]);
        }
        return Parse(text, path);
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
