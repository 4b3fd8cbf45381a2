using System.Diagnostics;

namespace Lessor.Cli.Tests.Faults;

/// <summary>The repository's scripts and other programs the fault drill runs (shared with the bench's long drill by linking).</summary>
internal static class DrillProcess
{
    /// <summary>A script of the repository this assembly was built from.</summary>
    public static string Script(string name)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Lessor.slnx"))) return Path.Combine(dir.FullName, "scripts", name);
        }
        throw new DirectoryNotFoundException($"no Lessor.slnx above {AppContext.BaseDirectory}: scripts/{name} cannot be found");
    }

    /// <summary>Runs a program to its end; its exit code and what it wrote (standard output, then standard error).</summary>
    public static async Task<(int Code, string Output)> RunAsync(string file, params string[] args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, (await stdout) + (await stderr));
    }
}
