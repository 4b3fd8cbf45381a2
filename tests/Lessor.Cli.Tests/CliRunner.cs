namespace Lessor.Cli.Tests;

/// <summary>Runs the `lessor` command tree in process and captures what it writes.</summary>
internal static class CliRunner
{
    public sealed record Run(int ExitCode, string Out, string Err);

    public static async Task<Run> RunAsync(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = await LessorCli.RunAsync(args, stdout, stderr, CancellationToken.None, interactive: false);
        return new Run(code, stdout.ToString(), stderr.ToString());
    }

    public static string Fixture(string relative) => Path.Combine(AppContext.BaseDirectory, "fixtures", relative);

    /// <summary>A fresh SQLite file path under the test's temp folder.</summary>
    public static string TempDb() => Path.Combine(Path.GetTempPath(), $"lessor-cli-{Guid.NewGuid():N}.db");
}
