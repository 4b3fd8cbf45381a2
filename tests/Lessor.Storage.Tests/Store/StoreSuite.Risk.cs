using Lessor.Core.Risk;
using Lessor.Storage.Scenarios;
using Lessor.Storage.Tests.Scenarios;

namespace Lessor.Storage.Tests.Store;

public abstract partial class StoreSuite
{
    [Fact]
    public async Task Given_the_bundled_book_with_its_uncertainty_model_When_imported_and_exported_Then_the_model_comes_back_and_the_export_reimports()
    {
        var file = Fixtures.Samples().First(f => f.EndsWith("neocloud-2026.yaml", StringComparison.Ordinal));
        var book = ScenarioFile.Load(file).Scenario!;
        Assert.NotNull(book.Uncertainty);
        await using var store = await OpenAsync();
        await store.ImportAsync(book, None);

        var exported = await store.ExportAsync(None);

        DeepEqual.Assert(book.Uncertainty, exported.Uncertainty);
        var again = ScenarioFile.Parse(ScenarioFile.ToYaml(exported), "export.yaml");
        Assert.Empty(again.Errors);
        DeepEqual.Assert(book.Uncertainty, again.Scenario!.Uncertainty);
    }

    [Fact]
    public async Task Given_a_later_import_with_another_uncertainty_model_Then_it_replaces_the_stored_one_and_one_without_keeps_it()
    {
        var book = ScenarioBuilder.Full();
        await using var store = await OpenAsync();
        await store.ImportAsync(book, None);
        Assert.Null((await store.ExportAsync(None)).Uncertainty);

        var model = new UncertaintyModel { Spares = new SparePolicy(0.05), Failures = new FailureModel() };
        await store.ImportAsync(book with { Name = "later", Platforms = [], Regions = [], Sites = [], Fabrics = [], Deliveries = [], Customers = [], Contracts = [], Uncertainty = model }, None);
        DeepEqual.Assert(model, (await store.ExportAsync(None)).Uncertainty);

        await store.ImportAsync(book with { Name = "later", Platforms = [], Regions = [], Sites = [], Fabrics = [], Deliveries = [], Customers = [], Contracts = [] }, None);
        DeepEqual.Assert(model, (await store.ExportAsync(None)).Uncertainty);
    }
}
