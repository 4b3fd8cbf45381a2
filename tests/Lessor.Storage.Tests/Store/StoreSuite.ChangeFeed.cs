using Lessor.Core.Finance;
using Lessor.Core.Model;
using Lessor.Storage.Store;

namespace Lessor.Storage.Tests.Store;

// The change feed (issue 15, docs/change-feed.md): every write that moves the revision names what it changed, in its
// transaction; a reader behind gets just those rows, or is told to rebuild when the feed does not cover the gap.
public abstract partial class StoreSuite
{
    [Fact]
    public async Task Given_each_kind_of_write_When_reading_the_changes_since_Then_each_names_what_it_wrote_as_stored()
    {
        await using var store = await OpenAsync();
        var s = ScenarioBuilder.Full();
        await store.ImportAsync(s, None);
        var afterImport = await store.RevisionAsync(None);
        Assert.False((await store.ChangesSinceAsync(afterImport - 1, None)).Covered); // an import is never applied piecemeal

        var probe = ScenarioBuilder.Probe("feed-1", s.Customers[0].Id, s.Platforms[0].Id, 1.5m, Utc.Date(2027, 1, 1));
        var signed = await store.WriteContractsAsync([(probe, null)], afterImport, None);
        var cancelled = probe with { Cancellation = new Cancellation(Utc.Date(2027, 2, 1), Money.Usd(0m), "feed test") };
        var replaced = await store.WriteContractAsync(cancelled, isNew: false, null, signed!.Value, None);
        var slipped = s.Deliveries[0] with { AcceptanceDate = s.Deliveries[0].AcceptanceDate.AddDays(7), OriginalAcceptanceDate = s.Deliveries[0].AcceptanceDate };
        var moved = await store.WriteDeliveryAsync(slipped, replaced!.Value, None);
        await store.IssueInvoicesAsync(new YearMonth(2027, 1), [], None);
        var last = await store.RevisionAsync(None);

        var changes = await store.ChangesSinceAsync(afterImport, None);

        Assert.Equal(afterImport + 4, last);
        Assert.True(changes.Covered);
        Assert.Equal(last, changes.Revision);
        var contract = Assert.Single(changes.Contracts); // signed, then replaced: read once, as it stands
        Assert.Equal(probe.Id, contract.Id);
        Assert.NotNull(contract.Cancellation);
        var delivery = Assert.Single(changes.Deliveries);
        Assert.Equal(slipped.AcceptanceDate, delivery.AcceptanceDate);
        Assert.Equal(moved, last - 1);
        Assert.True((await store.ChangesSinceAsync(last, None)).None);
        var sinceSlip = await store.ChangesSinceAsync(moved!.Value, None);
        Assert.True(sinceSlip.Covered);
        Assert.Empty(sinceSlip.Contracts);
        Assert.Empty(sinceSlip.Deliveries);
    }

    [Fact]
    public async Task Given_a_refused_write_When_reading_the_changes_Then_it_left_none()
    {
        await using var store = await OpenAsync();
        var s = ScenarioBuilder.Full();
        await store.ImportAsync(s, None);
        var revision = await store.RevisionAsync(None);
        var probe = ScenarioBuilder.Probe("feed-2", s.Customers[0].Id, s.Platforms[0].Id, 1.5m, Utc.Date(2027, 1, 1));

        Assert.Null(await store.WriteContractsAsync([(probe, null)], revision - 1, None));

        var changes = await store.ChangesSinceAsync(revision, None);
        Assert.True(changes.None);
        Assert.Empty(changes.Contracts);
    }

    [Fact]
    public async Task Given_the_feed_compacted_When_a_reader_is_older_than_what_is_kept_Then_it_is_told_to_rebuild_and_a_newer_one_is_not()
    {
        await using var store = await OpenAsync();
        var s = ScenarioBuilder.Full();
        await store.ImportAsync(s, None);
        var start = await store.RevisionAsync(None);
        var revision = start;
        for (var i = 0; i < 3; i++)
        {
            var probe = ScenarioBuilder.Probe($"feed-c{i}", s.Customers[0].Id, s.Platforms[0].Id, 1.5m, Utc.Date(2027, 1, 1));
            revision = (await store.WriteContractsAsync([(probe, null)], revision, None))!.Value;
        }

        await store.CompactChangesAsync(1, None);

        Assert.Equal(revision, await store.OldestChangeAsync(None));
        Assert.False((await store.ChangesSinceAsync(start, None)).Covered);
        var recent = await store.ChangesSinceAsync(revision - 1, None);
        Assert.True(recent.Covered);
        Assert.Equal("feed-c2", Assert.Single(recent.Contracts).Id.Value);
    }
}
