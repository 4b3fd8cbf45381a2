using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using Lessor.Cli.Commands;
using Lessor.Storage.Store;

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
        root.Subcommands.Add(RiskCommands.Build(io));
        root.Subcommands.Add(FleetOpsCommands.Sla(io));
        root.Subcommands.Add(ServeCommand.Build(io));
        root.Subcommands.Add(AgentCommand.Build(io));
        RefuseNewerStore.Wrap(root, io);
        foreach (var help in root.Options.OfType<HelpOption>())
        {
            if (help.Action is HelpAction action) help.Action = new HelpWithExitCodes(action);
        }
        return root;
    }

    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, CancellationToken ct, bool? interactive = null)
    {
        var io = new CliIo(stdout, stderr, interactive ?? !Console.IsOutputRedirected,
            progress: ReferenceEquals(stderr, Console.Error) && !Console.IsErrorRedirected);
        var config = new InvocationConfiguration { Output = stdout, Error = stderr };
        var parse = Build(io).Parse(args);
        // A parse error (a bad date, a missing flag, a typo) is one line naming the option, exit 2; not the whole help.
        if (parse.Action is ParseErrorAction) return ParseErrors.Report(io, parse);
        return await parse.InvokeAsync(config, ct);
    }

    /// <summary>
    /// Around every command's action: a store migrated by a newer release is an expected refusal, said in one line with
    /// both versions (exit 1), not the library's "Unhandled exception" and a stack trace.
    /// </summary>
    private sealed class RefuseNewerStore(AsynchronousCommandLineAction inner, CliIo io) : AsynchronousCommandLineAction
    {
        public static void Wrap(Command command, CliIo io)
        {
            if (command.Action is AsynchronousCommandLineAction action) command.Action = new RefuseNewerStore(action, io);
            foreach (var sub in command.Subcommands) Wrap(sub, io);
        }

        public override async Task<int> InvokeAsync(ParseResult parseResult, CancellationToken cancellationToken = default)
        {
            try
            {
                return await inner.InvokeAsync(parseResult, cancellationToken);
            }
            catch (StoreSchemaTooNewException e)
            {
                await io.Err.WriteLineAsync("error: " + e.Message);
                return ExitCodes.Failure;
            }
        }
    }

    /// <summary>The usual help, and under the root command's the exit codes every command follows.</summary>
    private sealed class HelpWithExitCodes(HelpAction inner) : SynchronousCommandLineAction
    {
        public override bool ClearsParseErrors => true;

        public override int Invoke(ParseResult parseResult)
        {
            var code = inner.Invoke(parseResult);
            if (parseResult.CommandResult.Command is RootCommand)
            {
                var output = parseResult.InvocationConfiguration.Output;
                output.WriteLine(ExitCodes.Table);
            }
            return code;
        }
    }
}
