using System.CommandLine;
using Lessor.Cli.Commands;

namespace Lessor.Cli;

/// <summary>The `lessor` command tree. Built per invocation so tests can run it in process with captured output.</summary>
public static class LessorCli
{
    public static RootCommand Build(CliIo io)
    {
        var root = new RootCommand("Lessor: the control plane of a GPU cloud. From megawatts to invoices.");
        root.Subcommands.Add(ScenarioCommands.Build(io));
        root.Subcommands.Add(FleetCommands.Build(io));
        root.Subcommands.Add(ContractCommands.Build(io));
        root.Subcommands.Add(DealCommands.Build(io));
        root.Subcommands.Add(ReportCommands.Build(io));
        root.Subcommands.Add(InvoiceCommands.Build(io));
        root.Subcommands.Add(DeliveryCommands.Build(io));
        root.Subcommands.Add(KeyCommands.Build(io));
        root.Subcommands.Add(ClaimCommands.Build(io));
        root.Subcommands.Add(PlacementCommands.Build(io));
        root.Subcommands.Add(ServeCommand.Build(io));
        return root;
    }

    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, CancellationToken ct, bool? interactive = null)
    {
        var io = new CliIo(stdout, stderr, interactive ?? !Console.IsOutputRedirected);
        var config = new InvocationConfiguration { Output = stdout, Error = stderr };
        return await Build(io).Parse(args).InvokeAsync(config, ct);
    }
}
