namespace Lessor.Core.Model;

/// <summary>One problem found in input, located by its path (e.g. <c>contracts[3].lines[0].gpus</c>).</summary>
public sealed record ValidationIssue(string Path, string Message)
{
    public override string ToString() => $"{Path}: {Message}";
}
