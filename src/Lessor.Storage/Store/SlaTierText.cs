using System.Globalization;
using Lessor.Core.Model;

namespace Lessor.Storage.Store;

/// <summary>SLA tiers in one column: <c>below:credit_fraction</c> pairs separated by <c>;</c>, invariant culture.</summary>
internal static class SlaTierText
{
    public static string Write(IReadOnlyList<SlaTier> tiers) =>
        string.Join(';', tiers.Select(t => string.Create(CultureInfo.InvariantCulture, $"{t.Below}:{t.CreditFraction}")));

    public static IReadOnlyList<SlaTier> Read(string text) =>
        [.. text.Split(';', StringSplitOptions.RemoveEmptyEntries).Select(pair =>
        {
            var parts = pair.Split(':');
            return new SlaTier(decimal.Parse(parts[0], CultureInfo.InvariantCulture), decimal.Parse(parts[1], CultureInfo.InvariantCulture));
        })];
}
