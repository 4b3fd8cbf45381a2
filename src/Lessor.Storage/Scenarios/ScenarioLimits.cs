namespace Lessor.Storage.Scenarios;

/// <summary>
/// The most a scenario file may ask of the reader, so that no file, however built, can crash it or make it work
/// without bound. Each is far above what real files need; docs/scenario-format.md states them.
/// </summary>
public static class ScenarioLimits
{
    /// <summary>
    /// 64 MiB. The largest generated scenario in use (1,000,000 GPUs) is 13.4 MB of YAML, so this leaves room for
    /// about four times that; reading allocates about 50 bytes per byte of file, so a file near the limit costs a few GB.
    /// </summary>
    public const int MaxFileBytes = 64 * 1024 * 1024;

    /// <summary>
    /// Lists and mappings nested inside each other. A scenario needs 8 (contracts, a contract, its lines, a line, its
    /// pinned blocks, a block...); YamlDotNet builds its tree recursively, so without a bound deep nesting overflows
    /// the stack and kills the process, which no catch can stop.
    /// </summary>
    public const int MaxDepth = 64;

    /// <summary>
    /// Characters of the document with every alias replaced by what it names (each value, key and collection counts
    /// at least one). Equal to the file limit: aliases may spare typing, but never let in more than a plain file may.
    /// </summary>
    public const long MaxExpandedSize = MaxFileBytes;
}
