namespace Lessor.Storage.Tests.Scenarios;

/// <summary>Finds the repository's tests/fixtures/scenarios folder from the test binary's location.</summary>
internal static class Fixtures
{
    public static string Root { get; } = Find();

    public static string Valid(string name) => Path.Combine(Root, "valid", name);

    /// <summary>The scenario files shipped in the repository's samples/ folder.</summary>
    public static IEnumerable<string> Samples() =>
        Directory.EnumerateFiles(Path.Combine(Root, "..", "..", "..", "samples"), "*.yaml").Order(StringComparer.Ordinal);

    public static IEnumerable<string> Invalid() =>
        Directory.EnumerateFiles(Path.Combine(Root, "invalid"), "*.yaml").Order(StringComparer.Ordinal);

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "tests", "fixtures", "scenarios");
            if (Directory.Exists(candidate)) return candidate;
        }
        throw new DirectoryNotFoundException("tests/fixtures/scenarios not found above " + AppContext.BaseDirectory);
    }
}
