using System.Text.Json;
using Lessor.Server.Json;
using Spectre.Console;

namespace Lessor.Cli;

/// <summary>Where a command writes: plain text and JSON to <see cref="Out"/>, tables through <see cref="Console"/>, problems to <see cref="Err"/>.</summary>
public sealed class CliIo
{
    public CliIo(TextWriter @out, TextWriter err, bool interactive)
    {
        Out = @out;
        Err = err;
        Console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(@out),
            Ansi = interactive ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = interactive ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = interactive ? InteractionSupport.Detect : InteractionSupport.No,
        });
        // On a terminal, its own width; piped, $COLUMNS when set, else wide enough that no cell wraps (a file or grep
        // wants whole rows).
        if (!interactive) Console.Profile.Width = int.TryParse(Environment.GetEnvironmentVariable("COLUMNS"), out var columns) && columns > 0 ? columns : 400;
        else if (TerminalWidth() is { } width) Console.Profile.Width = width;
    }

    public TextWriter Out { get; }
    public TextWriter Err { get; }
    public IAnsiConsole Console { get; }

    private static int? TerminalWidth()
    {
        try
        {
            return System.Console.WindowWidth > 0 ? System.Console.WindowWidth : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    public void WriteJson<T>(T value) => Out.WriteLine(JsonSerializer.Serialize(value, LessorJson.Options));
}
