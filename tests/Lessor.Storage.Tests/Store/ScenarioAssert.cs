using System.Text.Json;
using Lessor.Core.Model;

namespace Lessor.Storage.Tests.Store;

/// <summary>
/// Field-by-field equality for the model. Records holding lists compare lists by reference, so each element
/// is compared through its JSON form, which lists every property, keeps decimal scale (1.50 is not 1.5) and
/// shows the first difference with its section and index.
/// </summary>
internal static class ScenarioAssert
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    public static void Equal(Scenario expected, Scenario actual)
    {
        Assert.Equal(expected.Name, actual.Name);
        Assert.Equal(expected.Description, actual.Description);
        Assert.Equal(expected.Currency, actual.Currency);
        Same("platforms", expected.Platforms, actual.Platforms);
        Same("regions", expected.Regions, actual.Regions);
        Same("sites", expected.Sites, actual.Sites);
        Same("fabrics", expected.Fabrics, actual.Fabrics);
        Same("deliveries", expected.Deliveries, actual.Deliveries);
        Same("customers", expected.Customers, actual.Customers);
        Same("contracts", expected.Contracts, actual.Contracts);
    }

    public static void Same<T>(string section, IReadOnlyList<T> expected, IReadOnlyList<T> actual)
    {
        for (var i = 0; i < Math.Min(expected.Count, actual.Count); i++)
        {
            var e = JsonSerializer.Serialize(expected[i], Json);
            var a = JsonSerializer.Serialize(actual[i], Json);
            Assert.True(e == a, $"{section}[{i}] differs.\nexpected: {e}\nactual:   {a}");
        }
        Assert.True(expected.Count == actual.Count, $"{section}: expected {expected.Count} items, got {actual.Count}.");
    }
}
