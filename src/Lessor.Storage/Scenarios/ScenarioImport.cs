using Lessor.Storage.Store;

namespace Lessor.Storage.Scenarios;

/// <summary>The one import path of the CLI and the server: read, validate, and store all or nothing.</summary>
public static class ScenarioImport
{
    /// <summary>
    /// Parses and validates the file; stores it only when there is no problem at all. The result carries every
    /// problem found (the store is untouched then); conflicts with what the store holds throw
    /// <see cref="StoreException"/> and leave it untouched too.
    /// </summary>
    public static async Task<ScenarioParseResult> ImportFileAsync(LessorStore store, string path, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(store);
        var parsed = ScenarioFile.Load(path);
        if (parsed.IsValid) await store.ImportAsync(parsed.Scenario!, ct);
        return parsed;
    }
}
