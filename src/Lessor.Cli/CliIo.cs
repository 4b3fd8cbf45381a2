using System.Text.Json;
using Lessor.Server.Json;
using Spectre.Console;

namespace Lessor.Cli;

/// <summary>Where a command writes: plain text and JSON to <see cref="Out"/>, tables through <see cref="Console"/>, problems to <see cref="Err"/>.</summary>
public sealed class CliIo
{
    public CliIo(TextWriter @out, TextWriter err, bool interactive, bool progress = false)
    {
        Out = @out;
        Err = err;
        // Progress is drawn on standard error, and only on a terminal: `scenario generate > big.yaml` still shows it.
        if (progress)
        {
            _progress = AnsiConsole.Create(new AnsiConsoleSettings
            {
                Out = new AnsiConsoleOutput(err),
                Ansi = AnsiSupport.Detect,
                ColorSystem = ColorSystemSupport.Detect,
                Interactive = InteractionSupport.Detect,
            });
        }
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

    private readonly IAnsiConsole? _progress;

    /// <summary>
    /// Runs one step of long work, shown as a line of Spectre's progress (spinner, then elapsed time) on a terminal;
    /// silent when standard error is piped or with --json.
    /// </summary>
    public async Task<T> StepAsync<T>(string description, bool json, Func<Task<T>> work)
    {
        ArgumentNullException.ThrowIfNull(work);
        if (_progress is null || json) return await work();
        return await _progress.Progress()
            .AutoClear(false)
            .HideCompleted(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new SpinnerColumn(), new ElapsedTimeColumn())
            .StartAsync(async ctx =>
            {
                var task = ctx.AddTask(Markup.Escape(description));
                task.IsIndeterminate = true;
                var result = await work();
                task.IsIndeterminate = false;
                task.Value = task.MaxValue;
                task.StopTask();
                return result;
            });
    }

    /// <summary>The synchronous form of <see cref="StepAsync{T}"/>.</summary>
    public T Step<T>(string description, bool json, Func<T> work) =>
        StepAsync(description, json, () => Task.Run(work)).GetAwaiter().GetResult();

    public void WriteJson<T>(T value) => Out.WriteLine(JsonSerializer.Serialize(value, LessorJson.Options));
}
