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
        if (!interactive) Console.Profile.Width = 160;
    }

    public TextWriter Out { get; }
    public TextWriter Err { get; }
    public IAnsiConsole Console { get; }

    public void WriteJson<T>(T value) => Out.WriteLine(JsonSerializer.Serialize(value, LessorJson.Options));
}
