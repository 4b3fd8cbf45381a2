using Lessor.Core.Model;

namespace Lessor.Core.Generation;

/// <summary>The bundled operator (filled in below).</summary>
internal static class FactsBook
{
    public static Scenario Generate(GeneratorOptions o) => throw new ArgumentException("Facts mode is not available yet.", nameof(o));
}
