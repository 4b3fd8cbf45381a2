namespace Lessor.Cli.Tests;

/// <summary>`lessor serve`'s replica settings: out-of-range values are refused with the option and the range, before anything starts.</summary>
public sealed class ServeOptionsTests
{
    [Theory]
    [InlineData("--poll-ms", "5", "--poll-ms: 5 is not from 10 to 60000 milliseconds.")]
    [InlineData("--poll-ms", "60001", "--poll-ms: 60001 is not from 10 to 60000 milliseconds.")]
    [InlineData("--read-stale-s", "-1", "--read-stale-s: -1 is not from 0 to 3600 seconds.")]
    [InlineData("--read-stale-s", "NaN", "--read-stale-s: NaN is not from 0 to 3600 seconds.")]
    [InlineData("--min-revision-wait-ms", "-5", "--min-revision-wait-ms: -5 is not from 0 to 60000 milliseconds.")]
    public async Task Given_a_replica_setting_out_of_range_When_serve_starts_Then_it_is_refused_with_the_option_and_the_range(string option, string value, string expected)
    {
        var db = Path.Combine(Path.GetTempPath(), $"lessor-serve-opt-{Guid.NewGuid():N}.db");
        try
        {
            var run = await CliRunner.RunAsync("serve", option, value, "--db", db);

            Assert.Equal(2, run.ExitCode);
            Assert.Contains(expected, run.Err, StringComparison.Ordinal);
            Assert.False(File.Exists(db), "nothing may be created for refused arguments");
        }
        finally
        {
            File.Delete(db);
        }
    }
}
