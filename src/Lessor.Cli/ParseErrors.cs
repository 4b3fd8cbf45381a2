using System.CommandLine;
using System.CommandLine.Parsing;
using System.Text.RegularExpressions;
using Lessor.Server.Desk;

namespace Lessor.Cli;

/// <summary>
/// Reports what the parser refused as one line per problem, each naming the option, and where help is; never the
/// whole help text, which buries the error. Exit code 2.
/// </summary>
internal static partial class ParseErrors
{
    public static int Report(CliIo io, ParseResult parse)
    {
        var errors = parse.Errors.ToList();
        // After a mistyped command the rest of the line is unmatched too, and the command is "missing": the first
        // unrecognized word is the one error worth a line.
        if (errors.FirstOrDefault(e => Unrecognized().IsMatch(e.Message)) is { } typo) errors = [typo, .. errors.Where(e => !IsConsequenceOfTypo(e))];
        var lines = errors.Select(e => Describe(e, parse.CommandResult)).Distinct(StringComparer.Ordinal).ToList();
        var help = $"`{Path(parse.CommandResult)} --help`";
        for (var i = 0; i < lines.Count - 1; i++) io.Err.WriteLine($"error: {lines[i]}");
        var last = lines[^1];
        io.Err.WriteLine(last.EndsWith('?') || last.EndsWith('.') ? $"error: {last} See {help}." : $"error: {last}. See {help}.");
        return ExitCodes.BadInput;
    }

    private static bool IsConsequenceOfTypo(ParseError e) =>
        Unrecognized().IsMatch(e.Message) || e.SymbolResult is CommandResult && e.Message.StartsWith("Required command", StringComparison.Ordinal);

    /// <summary>"lessor deal check": the command's path as typed, whatever the executable is called.</summary>
    internal static string Path(CommandResult result)
    {
        var names = new List<string>();
        for (SymbolResult? r = result; r is CommandResult c; r = c.Parent) names.Add(c.Command is RootCommand ? "lessor" : c.Command.Name);
        names.Reverse();
        return string.Join(' ', names);
    }

    private static string Describe(ParseError error, CommandResult at)
    {
        var command = at.Command;
        var message = Whitespace().Replace(error.Message, " ").Trim();
        var (name, option, tokens) = error.SymbolResult switch
        {
            OptionResult o => (o.Option.Name, o.Option, o.Tokens),
            ArgumentResult { Parent: OptionResult o } a => (o.Option.Name, o.Option, a.Tokens),
            ArgumentResult a => (a.Argument.Name, null, a.Tokens),
            _ => ((string?)null, (Option?)null, (IReadOnlyList<Token>)[]),
        };
        if (message.StartsWith("Cannot parse argument", StringComparison.Ordinal) && option is not null && tokens.Count > 0)
            message = $"'{tokens[0].Value}' is not {Expected(option.ValueType)}.";
        if (Unrecognized().Match(message) is { Success: true } m)
        {
            var typed = m.Groups[1].Value;
            var known = command.Subcommands.Select(c => c.Name).Concat(command.Options.SelectMany(o => o.Aliases.Prepend(o.Name)));
            return Suggest.WithNearest($"'{typed}' is not a command or option of `{Path(at)}`.", typed, known);
        }
        return name is not null && !message.StartsWith(name, StringComparison.Ordinal) && !message.Contains($"'{name}'", StringComparison.Ordinal)
            ? $"{name}: {message}"
            : message;
    }

    private static string Expected(Type type) => (Nullable.GetUnderlyingType(type) ?? type) switch
    {
        var t when t == typeof(int) || t == typeof(long) || t == typeof(ulong) => "a whole number",
        var t when t == typeof(decimal) || t == typeof(double) => "a number",
        var t when t.IsEnum => "one of " + string.Join(", ", Enum.GetNames(t).Select(n => n.ToLowerInvariant())),
        var t => $"a {t.Name}",
    };

    [GeneratedRegex(@"\s*\n\s*")]
    private static partial Regex Whitespace();

    [GeneratedRegex(@"^Unrecognized command or argument '(.*)'\.$")]
    private static partial Regex Unrecognized();
}
