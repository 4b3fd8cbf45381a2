using System.Text.Json;

namespace Lessor.Cli.Tests;

public sealed class ScenarioCommandTests
{
    [Fact]
    public async Task Given_the_same_seed_When_generating_twice_Then_the_files_are_identical()
    {
        var a = await CliRunner.RunAsync("scenario", "generate", "--gpus", "20000", "--seed", "42");
        var b = await CliRunner.RunAsync("scenario", "generate", "--gpus", "20000", "--seed", "42");
        var c = await CliRunner.RunAsync("scenario", "generate", "--gpus", "20000", "--seed", "43");
        Assert.Equal(0, a.ExitCode);
        Assert.Equal(a.Out, b.Out);
        Assert.NotEqual(a.Out, c.Out);
    }

    [Fact]
    public async Task Given_a_negative_gpu_count_When_generating_Then_the_error_names_the_option()
    {
        var run = await CliRunner.RunAsync("scenario", "generate", "--gpus", "-5");
        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("--gpus: -5 must be a positive number of GPUs.", run.Err + run.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Given_a_generated_file_When_validated_imported_and_exported_Then_the_export_validates_to_the_same_scenario()
    {
        var dir = Directory.CreateTempSubdirectory("lessor-cli-");
        var file = Path.Combine(dir.FullName, "s.yaml");
        var db = Path.Combine(dir.FullName, "s.db");
        var back = Path.Combine(dir.FullName, "back.yaml");

        Assert.Equal(0, (await CliRunner.RunAsync("scenario", "generate", "--gpus", "20000", "--seed", "5", "--out", file)).ExitCode);
        var validate = await CliRunner.RunAsync("scenario", "validate", file);
        Assert.Equal(0, validate.ExitCode);
        Assert.StartsWith("valid: ", validate.Out, StringComparison.Ordinal);

        var import = await CliRunner.RunAsync("scenario", "import", file, "--db", db);
        Assert.Equal(0, import.ExitCode);
        Assert.Equal(0, (await CliRunner.RunAsync("scenario", "export", "--db", db, "--out", back)).ExitCode);
        Assert.Equal(await File.ReadAllTextAsync(file), await File.ReadAllTextAsync(back));

        var again = await CliRunner.RunAsync("scenario", "import", file, "--db", db);
        Assert.Equal(3, again.ExitCode);
        Assert.Contains("Nothing was imported.", again.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Given_an_invalid_file_When_imported_Then_every_error_is_reported_and_nothing_is_stored()
    {
        var db = CliRunner.TempDb();
        var invalid = Directory.GetFiles(CliRunner.Fixture("scenarios/invalid"), "*.yaml").Order(StringComparer.Ordinal).First();
        var run = await CliRunner.RunAsync("scenario", "import", invalid, "--db", db);
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("nothing was loaded", run.Err, StringComparison.Ordinal);

        // Not even an empty store: the file is refused before the store is opened.
        Assert.False(File.Exists(db));
        var list = await CliRunner.RunAsync("contracts", "list", "--db", db, "--json");
        Assert.Equal(2, list.ExitCode);
    }

    [Fact]
    public async Task Given_a_missing_file_When_validated_Then_the_error_names_the_file()
    {
        var run = await CliRunner.RunAsync("scenario", "validate", "/nonexistent/x.yaml");
        Assert.Equal(2, run.ExitCode);
        Assert.Equal("error: file: /nonexistent/x.yaml does not exist.", run.Err.Trim());
    }
}
