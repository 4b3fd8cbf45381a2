namespace Lessor.Cli;

internal static class Program
{
    private static Task<int> Main(string[] args) => LessorCli.RunAsync(args, Console.Out, Console.Error, CancellationToken.None);
}
