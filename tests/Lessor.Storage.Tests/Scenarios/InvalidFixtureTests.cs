using Lessor.Storage.Scenarios;

namespace Lessor.Storage.Tests.Scenarios;

/// <summary>
/// Every file in tests/fixtures/scenarios/invalid states, in its first two lines, the error it must raise
/// (<c># expect:</c> a substring of the message, <c># path:</c> the exact path); the line that error must point
/// at carries the comment <c># &lt;- error</c>.
/// </summary>
public class InvalidFixtureTests
{
    private const string Marker = "# <- error";

    public static TheoryData<string> Files()
    {
        var data = new TheoryData<string>();
        foreach (var f in Fixtures.Invalid()) data.Add(Path.GetFileName(f));
        return data;
    }

    [Fact]
    public void Given_the_invalid_fixtures_Then_there_are_at_least_fifteen_kinds()
    {
        Assert.True(Fixtures.Invalid().Count() >= 15);
    }

    [Fact]
    public void Given_the_base_of_the_invalid_fixtures_When_parsed_Then_it_is_valid()
    {
        var result = ScenarioFile.Load(Fixtures.Valid("minimal.yaml"));

        Assert.Empty(result.Errors);
        Assert.NotNull(result.Scenario);
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void Given_an_invalid_fixture_When_loaded_Then_the_stated_error_is_reported_at_its_line_and_nothing_is_loaded(string file)
    {
        var path = Path.Combine(Fixtures.Root, "invalid", file);
        var lines = File.ReadAllLines(path);
        Assert.StartsWith("# expect: ", lines[0], StringComparison.Ordinal);
        Assert.StartsWith("# path:", lines[1], StringComparison.Ordinal);
        var expect = lines[0]["# expect: ".Length..];
        var expectedPath = lines[1]["# path:".Length..].Trim();
        var expectedLine = Array.FindIndex(lines, l => l.EndsWith(Marker, StringComparison.Ordinal)) + 1;
        Assert.True(expectedLine > 0, $"{file} has no line marked '{Marker}'");

        var result = ScenarioFile.Load(path);

        Assert.Null(result.Scenario);
        Assert.False(result.IsValid);
        var matches = result.Errors.Where(e => e.Path == expectedPath && e.Message.Contains(expect, StringComparison.Ordinal)).ToList();
        Assert.True(matches.Count == 1, $"expected one error at '{expectedPath}' containing '{expect}', got:\n{string.Join("\n", result.Errors)}");
        Assert.Equal(expectedLine, matches[0].Line);
        Assert.Equal(path, matches[0].Source);
        Assert.StartsWith($"{path}:{expectedLine}:", matches[0].ToString(), StringComparison.Ordinal);
    }
}
