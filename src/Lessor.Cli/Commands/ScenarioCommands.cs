using System.CommandLine;
using Lessor.Core.Generation;
using Lessor.Core.Model;
using Lessor.Storage.Scenarios;
using Lessor.Storage.Store;

namespace Lessor.Cli.Commands;

/// <summary>`lessor scenario validate | import | export | generate`.</summary>
internal static class ScenarioCommands
{
    public static Command Build(CliIo io)
    {
        var command = new Command("scenario", "Validate, import, export and generate scenario files");
        command.Subcommands.Add(Validate(io));
        command.Subcommands.Add(Import(io));
        command.Subcommands.Add(Export(io));
        command.Subcommands.Add(Generate(io));
        return command;
    }

    private static Argument<FileInfo> FileArgument() => new("file") { Description = "Scenario file (YAML, or JSON)" };

    private static Command Validate(CliIo io)
    {
        var file = FileArgument();
        var json = CommonOptions.Json();
        var cmd = new Command("validate", "Check a scenario file and report every problem with its path and line") { file, json };
        cmd.SetAction(r =>
        {
            var parsed = Parse(io, r.GetValue(file)!, r.GetValue(json));
            if (parsed is null) return ExitCodes.BadInput;
            var s = parsed;
            if (r.GetValue(json)) io.WriteJson(new { valid = true, errors = Array.Empty<ScenarioError>(), summary = Summary(s) });
            else io.Out.WriteLine($"valid: {Summary(s)}");
            return ExitCodes.Ok;
        });
        return cmd;
    }

    private static Command Import(CliIo io)
    {
        var file = FileArgument();
        var db = CommonOptions.Db(creates: true);
        var json = CommonOptions.Json();
        var cmd = new Command("import", "Validate a scenario file and store it (all or nothing)") { file, db, json };
        cmd.SetAction(async (r, ct) =>
        {
            var scenario = Parse(io, r.GetValue(file)!, r.GetValue(json));
            if (scenario is null) return ExitCodes.BadInput;
            // With `serve`, the one command that may create a store (and its folder).
            var location = CommonOptions.Store(r, db);
            await using var store = await LessorStore.OpenAsync(location, ct);
            try
            {
                await io.StepAsync($"storing {scenario.Contracts.Count:N0} contracts, {scenario.Deliveries.Count:N0} deliveries", r.GetValue(json), async () =>
                {
                    await store.ImportAsync(scenario, ct);
                    return true;
                });
            }
            catch (StoreConflictException e)
            {
                io.Err.WriteLine($"error: {e.Message} Nothing was imported.");
                return ExitCodes.Refused;
            }
            if (r.GetValue(json)) io.WriteJson(new { imported = true, store = CommonOptions.Describe(location), summary = Summary(scenario) });
            else io.Out.WriteLine($"imported into {CommonOptions.Describe(location)}: {Summary(scenario)}");
            return ExitCodes.Ok;
        });
        return cmd;
    }

    private static Command Export(CliIo io)
    {
        var db = CommonOptions.Db();
        var output = new Option<FileInfo?>("--out", "-o") { Description = "Write to this file instead of standard output" };
        var format = FormatOption();
        var json = CommonOptions.Json();
        var cmd = new Command("export", "Write the stored estate and book as a scenario file") { db, output, format, json };
        cmd.SetAction(async (r, ct) =>
        {
            await using var store = await CommonOptions.OpenExistingAsync(io, r, db, ct);
            if (store is null) return ExitCodes.BadInput;
            var scenario = await store.ExportAsync(ct);
            Write(io, scenario, r.GetValue(json) ? "json" : r.GetValue(format)!, r.GetValue(output));
            return ExitCodes.Ok;
        });
        return cmd;
    }

    private static Command Generate(CliIo io)
    {
        var gpus = new Option<int>("--gpus") { Description = "GPUs delivered over the horizon", Required = true };
        gpus.Validators.Add(v =>
        {
            if (v.GetValueOrDefault<int>() <= 0) v.AddError($"--gpus: {v.GetValueOrDefault<int>()} must be a positive number of GPUs.");
        });
        var seed = new Option<ulong>("--seed") { Description = "Seed; the same seed gives the same scenario", DefaultValueFactory = _ => 1UL };
        var facts = new Option<bool>("--facts") { Description = "Reproduce the public facts (Meta, OpenAI, NVIDIA backstop, CoreWeave's end-2025 scale)" };
        var output = new Option<FileInfo?>("--out", "-o") { Description = "Write to this file instead of standard output" };
        var formatOption = FormatOption();
        var json = CommonOptions.Json();
        var cmd = new Command("generate", "Generate a deterministic scenario (the bundled sample, or scale scenarios for benchmarks)")
            { gpus, seed, facts, output, formatOption, json };
        cmd.SetAction(r =>
        {
            var asJson = r.GetValue(json);
            var scenario = io.Step($"generating {r.GetValue(gpus):N0} GPUs (seed {r.GetValue(seed)})", asJson, () => ScenarioGenerator.Generate(new GeneratorOptions
            {
                Gpus = r.GetValue(gpus),
                Seed = r.GetValue(seed),
                Facts = r.GetValue(facts),
            }));
            var format = asJson ? "json" : r.GetValue(formatOption)!;
            var text = io.Step($"writing {format}", asJson, () => format == "json" ? ScenarioFile.ToJson(scenario) : ScenarioFile.ToYaml(scenario));
            WriteText(io, text, r.GetValue(output));
            return ExitCodes.Ok;
        });
        return cmd;
    }

    private static Option<string> FormatOption()
    {
        var format = new Option<string>("--format") { Description = "yaml or json", DefaultValueFactory = _ => "yaml" };
        format.AcceptOnlyFromAmong("yaml", "json");
        return format;
    }

    private static void Write(CliIo io, Scenario scenario, string format, FileInfo? output) =>
        WriteText(io, format == "json" ? ScenarioFile.ToJson(scenario) : ScenarioFile.ToYaml(scenario), output);

    private static void WriteText(CliIo io, string text, FileInfo? output)
    {
        if (output is null) io.Out.Write(text);
        else File.WriteAllText(output.FullName, text);
    }

    /// <summary>Parses and validates; on failure writes every error and returns null.</summary>
    private static Scenario? Parse(CliIo io, FileInfo file, bool json)
    {
        if (!file.Exists)
        {
            io.Err.WriteLine($"error: file: {file.FullName} does not exist.");
            return null;
        }
        var parsed = io.Step($"reading and checking {file.Name} ({file.Length / 1_048_576.0:N1} MB)", json, () => ScenarioFile.Load(file.FullName));
        if (parsed.IsValid) return parsed.Scenario;
        if (json) io.WriteJson(new { valid = false, errors = parsed.Errors });
        foreach (var e in parsed.Errors) io.Err.WriteLine(e.ToString());
        io.Err.WriteLine($"{parsed.Errors.Count} problem(s) in {file.Name}; nothing was loaded.");
        return null;
    }

    private static string Summary(Scenario s) =>
        $"{s.Platforms.Count} platforms, {s.Regions.Count} regions, {s.Sites.Count} sites, {s.Fabrics.Count} fabrics, " +
        $"{s.Deliveries.Count} deliveries, {s.Customers.Count} customers, {s.Contracts.Count} contracts, " +
        $"{s.Contracts.Sum(c => c.Lines.Count)} lines";
}
