using System.Globalization;
using Lessor.Core.Model;

namespace Lessor.Storage.Scenarios;

/// <summary>One problem in a scenario file: where it is (path, line, column) and what is wrong, in a planner's words.</summary>
public sealed record ScenarioError(string Path, int? Line, int? Column, string Message)
{
    /// <summary>The file or stream the error was found in, for <see cref="ToString"/>.</summary>
    public string Source { get; init; } = "<input>";

    /// <summary><c>source:line:col: path: message</c>, the shape editors and CI logs turn into links.</summary>
    public override string ToString()
    {
        var where = Line is { } l
            ? $"{Source}:{l.ToString(CultureInfo.InvariantCulture)}:{(Column ?? 1).ToString(CultureInfo.InvariantCulture)}"
            : Source;
        return Path.Length == 0 ? $"{where}: {Message}" : $"{where}: {Path}: {Message}";
    }
}

/// <summary>What reading a scenario file gave: the scenario when nothing is wrong, otherwise every error and no scenario.</summary>
public sealed record ScenarioParseResult(Scenario? Scenario, IReadOnlyList<ScenarioError> Errors)
{
    public bool IsValid => Scenario is not null && Errors.Count == 0;
}
