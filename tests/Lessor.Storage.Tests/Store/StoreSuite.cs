using System.Globalization;
using CsCheck;
using Lessor.Core.Model;
using Lessor.Storage.Store;

namespace Lessor.Storage.Tests.Store;

/// <summary>
/// The behaviour every store must have, whatever the database. Each derived class supplies a fresh, empty
/// location per test (xunit makes one instance per test) and removes it afterwards.
/// </summary>
public abstract partial class StoreSuite : IAsyncLifetime
{
    private static readonly CancellationToken None = CancellationToken.None;
    private StoreLocation? _location;

    protected StoreLocation Location => _location ?? throw new InvalidOperationException("The test's store location is not created yet.");

    /// <summary>The folder under Migrations/ this dialect uses.</summary>
    protected abstract string MigrationFolder { get; }

    protected abstract Task<StoreLocation> CreateLocationAsync();

    protected abstract Task DeleteLocationAsync();

    public async Task InitializeAsync() => _location = await CreateLocationAsync();

    public Task DisposeAsync() => _location is null ? Task.CompletedTask : DeleteLocationAsync();

    protected Task<LessorStore> OpenAsync() => LessorStore.OpenAsync(Location, None);

    [Fact]
    public async Task Given_a_new_location_When_opened_Then_every_migration_is_applied_once_and_recorded()
    {
        var clock = new FixedClock(new DateTimeOffset(2026, 11, 27, 23, 30, 15, TimeSpan.Zero));
        await using var store = await LessorStore.OpenAsync(Location, clock, None);

        var expected = Migrator.Load(MigrationFolder);
        var applied = await store.AppliedMigrationsAsync(None);
        Assert.Equal(expected.Select(m => (m.Version, m.Name)), applied.Select(m => (m.Version, m.Name)));
        Assert.All(applied, m => Assert.Equal(new DateTime(2026, 11, 27, 23, 30, 15, DateTimeKind.Utc), m.AppliedAt));
        Assert.Equal(expected[^1].Version, await store.SchemaVersionAsync(None));
        Assert.Equal("estate_and_contracts", applied[0].Name);
    }

    [Fact]
    public async Task Given_a_new_location_When_four_stores_open_it_at_once_Then_each_migration_is_recorded_exactly_once()
    {
        var stores = await Task.WhenAll(Enumerable.Range(0, 4).Select(async _ =>
        {
            await Task.Yield();
            return await OpenAsync();
        }));
        try
        {
            var expected = Migrator.Load(MigrationFolder).Select(m => m.Version);
            foreach (var store in stores)
                Assert.Equal(expected, (await store.AppliedMigrationsAsync(None)).Select(m => m.Version));
        }
        finally
        {
            foreach (var store in stores) await store.DisposeAsync();
        }
    }

    [Fact]
    public async Task Given_a_migrated_store_holding_a_scenario_When_reopened_Then_nothing_is_applied_again_and_the_data_is_kept()
    {
        var scenario = ScenarioBuilder.Full();
        IReadOnlyList<AppliedMigration> first;
        await using (var store = await LessorStore.OpenAsync(Location, new FixedClock(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero)), None))
        {
            first = await store.AppliedMigrationsAsync(None);
            await store.ImportAsync(scenario, None);
        }

        await using var reopened = await LessorStore.OpenAsync(Location, new FixedClock(new DateTimeOffset(2027, 6, 1, 0, 0, 0, TimeSpan.Zero)), None);

        Assert.Equal(first, await reopened.AppliedMigrationsAsync(None));
        Assert.Equal(first[^1].Version, await reopened.SchemaVersionAsync(None));
        ScenarioAssert.Equal(scenario, await reopened.ExportAsync(None));
    }

    [Fact]
    public async Task Given_a_new_store_Then_it_is_empty_and_exports_an_empty_unnamed_scenario()
    {
        await using var store = await OpenAsync();

        Assert.True(await store.IsEmptyAsync(None));
        Assert.Equal(0, await store.RevisionAsync(None));
        var exported = await store.ExportAsync(None);
        Assert.Equal(string.Empty, exported.Name);
        Assert.Null(exported.Description);
        Assert.Empty(exported.Platforms);
        Assert.Empty(exported.Contracts);
    }

    [Fact]
    public async Task Given_a_scenario_that_sets_every_field_When_imported_then_exported_Then_it_comes_back_equal_field_by_field()
    {
        var scenario = ScenarioBuilder.Full();
        await using var store = await OpenAsync();

        await store.ImportAsync(scenario, None);

        Assert.False(await store.IsEmptyAsync(None));
        Assert.Equal(1, await store.RevisionAsync(None));
        ScenarioAssert.Equal(scenario, await store.ExportAsync(None));
    }

    [Fact]
    public async Task Given_a_store_holding_one_scenario_When_a_disjoint_one_is_imported_Then_export_lists_both_in_import_order_under_the_first_name()
    {
        var first = ScenarioBuilder.Full("a-");
        var second = ScenarioBuilder.Full("b-") with { Name = "second", Description = null, Currency = new Currency("EUR") };
        await using var store = await OpenAsync();

        await store.ImportAsync(first, None);
        await store.ImportAsync(second, None);

        var expected = first with
        {
            Platforms = [.. first.Platforms, .. second.Platforms],
            Regions = [.. first.Regions, .. second.Regions],
            Sites = [.. first.Sites, .. second.Sites],
            Fabrics = [.. first.Fabrics, .. second.Fabrics],
            Deliveries = [.. first.Deliveries, .. second.Deliveries],
            Customers = [.. first.Customers, .. second.Customers],
            Contracts = [.. first.Contracts, .. second.Contracts],
        };
        ScenarioAssert.Equal(expected, await store.ExportAsync(None));
        Assert.Equal(2, await store.RevisionAsync(None));
    }

    [Fact]
    public async Task Given_a_store_holding_a_scenario_When_an_import_reuses_a_contract_id_Then_it_is_refused_naming_the_id_and_nothing_changes()
    {
        var original = ScenarioBuilder.Full("a-");
        var clash = ScenarioBuilder.Full("b-");
        // Everything in the second import is new except its last contract, so a partial write would show.
        clash = clash with { Contracts = [.. clash.Contracts.SkipLast(1), clash.Contracts[^1] with { Id = new ContractId("a-bare"), Customer = new CustomerId("b-nvidia") }] };
        await using var store = await OpenAsync();
        await store.ImportAsync(original, None);

        var error = await Assert.ThrowsAsync<StoreConflictException>(() => store.ImportAsync(clash, None));

        Assert.Equal("contract", error.Entity);
        Assert.Equal("a-bare", error.Id);
        Assert.Equal("contract 'a-bare' already exists in the store or appears twice in the import; nothing was imported.", error.Message);
        ScenarioAssert.Equal(original, await store.ExportAsync(None));
        Assert.Equal(1, await store.RevisionAsync(None));
    }

    [Fact]
    public async Task Given_an_empty_store_When_an_import_repeats_a_fabric_id_Then_it_is_refused_and_the_store_stays_empty()
    {
        var scenario = ScenarioBuilder.Full();
        scenario = scenario with { Fabrics = [.. scenario.Fabrics, scenario.Fabrics[0] with { MaxUnits = 1 }] };
        await using var store = await OpenAsync();

        var error = await Assert.ThrowsAsync<StoreConflictException>(() => store.ImportAsync(scenario, None));

        Assert.Equal(("fabric", "fab-a"), (error.Entity, error.Id));
        Assert.True(await store.IsEmptyAsync(None));
        Assert.Equal(0, await store.RevisionAsync(None));
    }

    [Fact]
    public async Task Given_an_empty_store_When_a_contract_repeats_a_line_id_Then_it_is_refused_naming_contract_and_line()
    {
        var scenario = ScenarioBuilder.Full();
        var meta = scenario.Contracts[0];
        scenario = scenario with { Contracts = [meta with { Lines = [.. meta.Lines, meta.Lines[0]] }, .. scenario.Contracts.Skip(1)] };
        await using var store = await OpenAsync();

        var error = await Assert.ThrowsAsync<StoreConflictException>(() => store.ImportAsync(scenario, None));

        Assert.Equal(("line", "meta-1/l1"), (error.Entity, error.Id));
        Assert.Equal("line 'l1' appears twice in contract 'meta-1'.", error.Message);
        Assert.True(await store.IsEmptyAsync(None));
    }

    [Fact]
    public async Task Given_an_empty_store_When_a_pinned_block_names_an_unknown_fabric_Then_it_is_refused_with_the_path_and_nothing_is_stored()
    {
        var scenario = ScenarioBuilder.Full();
        var meta = scenario.Contracts[0];
        var line = meta.Lines[0] with { Pinned = [new PlacedBlock(new FabricId("nowhere"), 1)] };
        scenario = scenario with { Contracts = [meta with { Lines = [line, .. meta.Lines.Skip(1)] }, .. scenario.Contracts.Skip(1)] };
        await using var store = await OpenAsync();

        var error = await Assert.ThrowsAsync<StoreReferenceException>(() => store.ImportAsync(scenario, None));

        Assert.Equal("contracts[meta-1].lines[l1].pinned[0].fabric refers to fabric 'nowhere', which is neither in the store nor in the import.", error.Message);
        Assert.Equal(("fabric", "nowhere"), (error.Entity, error.Id));
        Assert.True(await store.IsEmptyAsync(None));
    }

    [Fact]
    public async Task Given_an_empty_store_When_an_instant_is_finer_than_a_microsecond_Then_the_import_fails_naming_the_column_and_nothing_is_stored()
    {
        var scenario = ScenarioBuilder.Full();
        var d = scenario.Deliveries[1];
        scenario = scenario with { Deliveries = [scenario.Deliveries[0], d with { AcceptanceDate = d.AcceptanceDate.AddTicks(1) }, .. scenario.Deliveries.Skip(2)] };
        await using var store = await OpenAsync();

        var error = await Assert.ThrowsAsync<ArgumentException>(() => store.ImportAsync(scenario, None));

        Assert.StartsWith("deliveries.acceptance_date of row 'd-2': 2026-09-01T00:00:00.0000001Z is finer than a microsecond", error.Message, StringComparison.Ordinal);
        Assert.True(await store.IsEmptyAsync(None));
    }

    [Fact]
    public async Task Given_two_stores_on_one_location_When_both_import_the_same_ids_at_once_Then_exactly_one_succeeds_and_the_other_is_refused()
    {
        var scenario = ScenarioBuilder.Full();
        await using var bootstrap = await OpenAsync();
        await using var one = await OpenAsync();
        await using var two = await OpenAsync();

        var results = await Task.WhenAll(Attempt(one), Attempt(two));

        Assert.Equal(1, results.Count(r => r is null));
        Assert.Single(results, r => r is StoreConflictException);
        ScenarioAssert.Equal(scenario, await bootstrap.ExportAsync(None));
        Assert.Equal(1, await bootstrap.RevisionAsync(None));

        async Task<Exception?> Attempt(LessorStore store)
        {
            await Task.Yield();
            try
            {
                await store.ImportAsync(scenario, None);
                return null;
            }
            catch (StoreConflictException e)
            {
                return e;
            }
        }
    }

    [Fact]
    public async Task Given_any_decimal_amount_and_any_minute_When_stored_and_read_back_Then_both_are_exact_to_the_last_digit_and_scale()
    {
        var scenario = ScenarioBuilder.Full();
        var customer = scenario.Customers[0].Id;
        var platform = scenario.Platforms[0].Id;
        await using var store = await OpenAsync();
        await store.ImportAsync(scenario, None);
        var probe = 0;

        // Minutes from 2000 to 2100: the ledger's horizon with room to spare.
        await Gen.Select(Gen.Decimal, Gen.Long[0, 100L * 366 * 24 * 60]).SampleAsync(async (amount, minute) =>
        {
            var id = "probe-" + (++probe).ToString(CultureInfo.InvariantCulture);
            var instant = Utc.FromMinute(minute);
            await store.ImportAsync(new Scenario { Name = id, Contracts = [ScenarioBuilder.Probe(id, customer, platform, amount, instant)] }, None);

            var back = await store.GetContractAsync(new ContractId(id), None) ?? throw new InvalidOperationException($"{id} was not stored.");

            Assert.Equal(amount.ToString(CultureInfo.InvariantCulture), back.HeadlineValue!.Value.Amount.ToString(CultureInfo.InvariantCulture));
            Assert.Equal(amount.ToString(CultureInfo.InvariantCulture), back.Lines[0].PricePerGpuHour.Amount.ToString(CultureInfo.InvariantCulture));
            Assert.Equal(instant, back.SignedOn);
            Assert.Equal(DateTimeKind.Utc, back.SignedOn.Kind);
            Assert.Equal(minute, Utc.ToMinute(back.Lines[0].Period.Start));
            Assert.Equal(minute + 1, Utc.ToMinute(back.Lines[0].Period.End));
        }, iter: 40, threads: 1);
    }

    [Fact]
    public async Task Given_a_stored_scenario_When_listing_Then_each_listing_returns_its_records_in_import_order()
    {
        var scenario = ScenarioBuilder.Full();
        await using var store = await OpenAsync();
        await store.ImportAsync(scenario, None);

        ScenarioAssert.Same("platforms", scenario.Platforms, await store.ListPlatformsAsync(None));
        ScenarioAssert.Same("regions", scenario.Regions, await store.ListRegionsAsync(None));
        ScenarioAssert.Same("sites", scenario.Sites, await store.ListSitesAsync(None));
        ScenarioAssert.Same("fabrics", scenario.Fabrics, await store.ListFabricsAsync(None));
        ScenarioAssert.Same("deliveries", scenario.Deliveries, await store.ListDeliveriesAsync(None));
        ScenarioAssert.Same("customers", scenario.Customers, await store.ListCustomersAsync(None));
        ScenarioAssert.Same("contracts", scenario.Contracts, await store.ListContractsAsync(null, None));
    }

    [Fact]
    public async Task Given_a_stored_scenario_When_listing_one_customers_contracts_Then_only_theirs_come_back_in_order()
    {
        var scenario = ScenarioBuilder.Full();
        await using var store = await OpenAsync();
        await store.ImportAsync(scenario, None);

        var nvidia = await store.ListContractsAsync(new CustomerId("nvidia"), None);
        var nobody = await store.ListContractsAsync(new CustomerId("nobody"), None);

        Assert.Equal(["nvidia-backstop", "bare"], nvidia.Select(c => c.Id.Value));
        ScenarioAssert.Same("nvidia", [scenario.Contracts[3], scenario.Contracts[4]], nvidia);
        Assert.Empty(nobody);
    }

    [Fact]
    public async Task Given_a_stored_scenario_When_getting_a_contract_by_id_Then_it_comes_back_whole_and_an_unknown_id_gives_null()
    {
        var scenario = ScenarioBuilder.Full();
        await using var store = await OpenAsync();
        await store.ImportAsync(scenario, None);

        var meta = await store.GetContractAsync(new ContractId("meta-1"), None);
        var missing = await store.GetContractAsync(new ContractId("meta-9"), None);

        ScenarioAssert.Same("meta-1", [scenario.Contracts[0]], [meta!]);
        Assert.Null(missing);
    }
}

/// <summary>A clock that always reads the same instant.</summary>
internal sealed class FixedClock(DateTimeOffset now) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => now;
}
