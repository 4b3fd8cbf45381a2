using Lessor.Core.Finance;
using Lessor.Core.Model;
using Lessor.Storage.Scenarios;
using Lessor.Storage.Store;
using Lessor.Storage.Tests.Scenarios;

namespace Lessor.Storage.Tests.Store;

// The single-contract writes of the deal desk and billing, on every store.
public abstract partial class StoreSuite
{
    public static TheoryData<string> InvalidFixtures()
    {
        var data = new TheoryData<string>();
        foreach (var f in Fixtures.Invalid()) data.Add(Path.GetFileName(f));
        return data;
    }

    public static TheoryData<string> Samples()
    {
        var data = new TheoryData<string>();
        foreach (var f in Fixtures.Samples()) data.Add(Path.GetFileName(f));
        return data;
    }

    [Theory]
    [MemberData(nameof(Samples))]
    public async Task Given_a_shipped_sample_When_written_read_imported_and_exported_Then_every_step_gives_back_the_same_scenario(string sample)
    {
        var path = Fixtures.Samples().Single(f => Path.GetFileName(f) == sample);
        var parsed = ScenarioFile.Load(path);
        Assert.Empty(parsed.Errors);
        var original = parsed.Scenario!;
        var yaml = ScenarioFile.ToYaml(original);
        Assert.Equal(await File.ReadAllTextAsync(path), yaml);
        DeepEqual.Assert(original, ScenarioFile.Parse(ScenarioFile.ToJson(original)).Scenario!);

        await using var store = await OpenAsync();
        await ScenarioImport.ImportFileAsync(store, path, None);
        var exported = await store.ExportAsync(None);
        ScenarioAssert.Equal(original, exported);
        Assert.Equal(yaml, ScenarioFile.ToYaml(exported));
    }

    [Theory]
    [MemberData(nameof(InvalidFixtures))]
    public async Task Given_an_invalid_scenario_file_When_imported_Then_the_expected_error_is_reported_and_nothing_is_stored(string fixture)
    {
        var path = Path.Combine(Fixtures.Root, "invalid", fixture);
        var expect = File.ReadLines(path).First()["# expect: ".Length..];
        await using var store = await OpenAsync();

        var result = await ScenarioImport.ImportFileAsync(store, path, None);

        Assert.False(result.IsValid);
        Assert.Contains(result.Errors, e => e.Message.Contains(expect, StringComparison.Ordinal));
        Assert.True(await store.IsEmptyAsync(None));
        Assert.Equal(0, await store.RevisionAsync(None));
    }

    [Fact]
    public async Task Given_a_stale_revision_When_writing_a_contract_Then_nothing_is_written_and_null_is_returned()
    {
        await using var store = await OpenAsync();
        var s = ScenarioBuilder.Full();
        await store.ImportAsync(s, None);
        var revision = await store.RevisionAsync(None);
        var probe = ScenarioBuilder.Probe("probe-1", s.Customers[0].Id, s.Platforms[0].Id, 1.5m, Utc.Date(2027, 1, 1));
        var key = new IdempotencyKey("cli", "key-1", "digest");

        var stale = await store.WriteContractAsync(probe, isNew: true, key, revision - 1, None);
        Assert.Null(stale);
        Assert.Null(await store.GetContractAsync(probe.Id, None));
        Assert.Null(await store.FindIdempotentContractAsync(key, None));

        var fresh = await store.WriteContractAsync(probe, isNew: true, key, revision, None);
        Assert.Equal(revision + 1, fresh);
        Assert.Equal(probe.Id, (await store.FindIdempotentContractAsync(key, None))?.Contract);
        ScenarioAssert.Equal(s with { Contracts = [.. s.Contracts, probe] }, await store.ExportAsync(None));
    }

    [Fact]
    public async Task Given_a_stored_contract_When_it_is_replaced_Then_it_keeps_its_place_in_the_book_and_carries_its_history()
    {
        await using var store = await OpenAsync();
        var s = ScenarioBuilder.Full();
        await store.ImportAsync(s, None);
        var first = s.Contracts[0];
        var amended = first with
        {
            Title = "amended",
            Amendments = [.. first.Amendments, new Amendment { Sequence = first.Amendments.Count + 1, EffectiveOn = Utc.Date(2027, 6, 1), Kind = AmendmentKind.Reprice, Note = "test" }],
        };

        var revision = await store.WriteContractAsync(amended, isNew: false, null, await store.RevisionAsync(None), None);

        Assert.NotNull(revision);
        var back = await store.ExportAsync(None);
        Assert.Equal(first.Id, back.Contracts[0].Id);
        ScenarioAssert.Equal(s with { Contracts = [amended, .. s.Contracts.Skip(1)] }, back);
    }

    [Fact]
    public async Task Given_an_issued_month_When_issued_again_Then_the_stored_invoices_come_back_unchanged()
    {
        await using var store = await OpenAsync();
        var s = ScenarioBuilder.Full();
        await store.ImportAsync(s, None);
        var month = new YearMonth(2027, 3);
        var customer = s.Customers[0].Id;

        var (first, fresh) = await store.IssueInvoicesAsync(month, [new IssuedInvoice("INV-2027-03-a", month, customer, "{\"v\":1}")], None);
        var (second, again) = await store.IssueInvoicesAsync(month, [new IssuedInvoice("INV-2027-03-a", month, customer, "{\"v\":2}")], None);

        Assert.True(fresh);
        Assert.False(again);
        Assert.Equal("{\"v\":1}", Assert.Single(second).Document);
        Assert.Equal(first, await store.IssuedInvoicesAsync(month, None));
    }

    [Fact]
    public async Task Given_credits_When_listed_for_their_month_Then_each_appears_once_with_exact_money()
    {
        await using var store = await OpenAsync();
        var s = ScenarioBuilder.Full();
        await store.ImportAsync(s, None);
        var month = new YearMonth(2027, 4);
        var credit = new Credit(s.Customers[0].Id, month, Money.Usd(1234.5678m), "SLA 99.9% missed") { Contract = s.Contracts[0].Id };

        await store.AddCreditAsync("sla-1", credit, None);
        await store.AddCreditAsync("sla-1", credit, None);

        Assert.Equal(credit, Assert.Single(await store.ListCreditsAsync(month, None)));
        Assert.Empty(await store.ListCreditsAsync(month.Next, None));
    }
}
