using Lessor.Core.Model;
using Lessor.Storage.Store;

namespace Lessor.Storage.Tests.Store;

// The single-writer lease and its fence (LessorStore.Lease.cs), on every store.
public abstract partial class StoreSuite
{
    private static readonly DateTime LeaseT0 = Utc.Date(2027, 3, 1);
    private static readonly TimeSpan LeaseTtl = TimeSpan.FromSeconds(10);

    // A fenced write that stores one row per call: a maintenance window named by id.
    private static MaintenanceWindow Window(string id) =>
        new(id, new FabricId("f1"), [], new Period(LeaseT0.AddDays(1), LeaseT0.AddDays(1).AddHours(1)), LeaseT0, "lease test");

    [Fact]
    public async Task Given_a_held_lease_When_another_holder_asks_before_and_after_it_expires_Then_it_is_refused_then_takes_it_one_epoch_higher()
    {
        await using var store = await OpenAsync();
        Assert.Null(await store.ReadLeaseAsync("fleet", None));

        var a = await store.TryAcquireOrRenewAsync("fleet", "a", "http://a:5080", LeaseTtl, LeaseT0, None);
        var renewed = await store.TryAcquireOrRenewAsync("fleet", "a", "http://a:5080", LeaseTtl, LeaseT0.AddSeconds(3), None);
        var refused = await store.TryAcquireOrRenewAsync("fleet", "b", null, LeaseTtl, LeaseT0.AddSeconds(12.999), None);
        var heldByA = await store.ReadLeaseAsync("fleet", None);
        var b = await store.TryAcquireOrRenewAsync("fleet", "b", "http://b:5080", LeaseTtl, LeaseT0.AddSeconds(13), None);
        var aAgain = await store.TryAcquireOrRenewAsync("fleet", "a", null, LeaseTtl, LeaseT0.AddSeconds(14), None);

        Assert.Equal(1L, a);
        Assert.Equal(1L, renewed);
        Assert.Null(refused);
        Assert.Equal(new LeaseState("fleet", "a", "http://a:5080", 1, LeaseT0.AddSeconds(13), 0), heldByA);
        Assert.Equal(2L, b);
        Assert.Null(aAgain);
        Assert.Equal(new LeaseState("fleet", "b", "http://b:5080", 2, LeaseT0.AddSeconds(23), 0), await store.ReadLeaseAsync("fleet", None));
    }

    [Fact]
    public async Task Given_a_released_lease_When_another_holder_asks_Then_it_takes_it_at_once_and_the_first_taking_back_its_own_expired_lease_keeps_the_epoch()
    {
        await using var store = await OpenAsync();
        Assert.Equal(1L, await store.TryAcquireOrRenewAsync("fleet", "a", null, LeaseTtl, LeaseT0, None));
        // Expired, nobody took it: the same holder takes it back at the same epoch (nobody else wrote meanwhile).
        Assert.Equal(1L, await store.TryAcquireOrRenewAsync("fleet", "a", null, LeaseTtl, LeaseT0.AddMinutes(5), None));
        Assert.False(await store.ReleaseAsync("fleet", "b", LeaseT0.AddMinutes(5).AddSeconds(1), None));
        Assert.True(await store.ReleaseAsync("fleet", "a", LeaseT0.AddMinutes(5).AddSeconds(1), None));
        Assert.False(await store.ReleaseAsync("fleet", "a", LeaseT0.AddMinutes(5).AddSeconds(1), None));
        Assert.Equal(2L, await store.TryAcquireOrRenewAsync("fleet", "b", null, LeaseTtl, LeaseT0.AddMinutes(5).AddSeconds(1), None));
        Assert.Null(await store.TryAcquireOrRenewAsync("fleet", "a", null, LeaseTtl, LeaseT0.AddMinutes(5).AddSeconds(2), None));
    }

    [Fact]
    public async Task Given_a_stale_holder_whose_lease_was_taken_while_it_was_paused_When_it_writes_Then_the_write_is_refused_and_nothing_is_stored()
    {
        await using var store = await OpenAsync();
        var a = (await store.TryAcquireOrRenewAsync("fleet", "a", null, LeaseTtl, LeaseT0, None))!.Value;
        Assert.True(await store.AddMaintenanceAsync(Window("by-a"), new LeaseFence("fleet", "a", a, LeaseT0.AddSeconds(1)), None));
        // A pauses past its lease; B takes over.
        var b = (await store.TryAcquireOrRenewAsync("fleet", "b", null, LeaseTtl, LeaseT0.AddSeconds(11), None))!.Value;

        var stale = await Assert.ThrowsAsync<LeaseLostException>(() => store.AddMaintenanceAsync(Window("stale-a"), new LeaseFence("fleet", "a", a, LeaseT0.AddSeconds(5)), None));
        // Its own clock past its lease, with nobody taking it yet, is refused too.
        var expired = await Assert.ThrowsAsync<LeaseLostException>(() => store.AddMaintenanceAsync(Window("late-b"), new LeaseFence("fleet", "b", b, LeaseT0.AddSeconds(21)), None));
        Assert.True(await store.AddMaintenanceAsync(Window("by-b"), new LeaseFence("fleet", "b", b, LeaseT0.AddSeconds(12)), None));

        Assert.Equal((2L, "b"), (stale.Current!.Epoch, stale.Current.Holder));
        Assert.Equal((1L, "a"), (stale.Fence.Epoch, stale.Fence.Holder));
        Assert.Equal("b", expired.Current!.Holder);
        var stored = await store.ListMaintenanceAsync(new Period(LeaseT0, LeaseT0.AddDays(2)), None);
        Assert.Equal(["by-a", "by-b"], stored.Select(w => w.Id).Order(StringComparer.Ordinal));
        Assert.Equal(2L, (await store.ReadLeaseAsync("fleet", None))!.Writes);
        Assert.Equal(0L, (await store.ReadFleetAsync(None)).Nodes.Count);
        await Assert.ThrowsAsync<LeaseLostException>(() => store.AddMaintenanceAsync(Window("unknown"), new LeaseFence("other", "b", b, LeaseT0.AddSeconds(12)), None));
    }

    [Fact]
    public async Task Given_eight_holders_asking_for_a_free_lease_at_once_When_they_race_Then_exactly_one_gets_it()
    {
        await using var store = await OpenAsync();
        for (var round = 0; round < 3; round++)
        {
            // Each round starts after the last one's lease expired: a new holder takes it, one epoch higher.
            var now = LeaseT0.AddMinutes(round);
            var attempts = Enumerable.Range(0, 8).Select(i => Task.Run(() => store.TryAcquireOrRenewAsync("fleet", $"r{round}-h{i}", null, LeaseTtl, now, None))).ToArray();
            var results = await Task.WhenAll(attempts);
            var winner = Assert.Single(results, r => r is not null);
            Assert.Equal(round + 1L, winner);
            var state = await store.ReadLeaseAsync("fleet", None);
            Assert.Equal(round + 1L, state!.Epoch);
            Assert.Equal(Array.FindIndex(results, r => r is not null), int.Parse(state.Holder!.Split('h')[1], System.Globalization.CultureInfo.InvariantCulture));
        }
    }

    private enum LeaseStep { Acquire, Release, Advance, Write }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task Given_random_interleavings_of_two_holders_When_each_step_runs_Then_one_valid_holder_at_most_epochs_only_rise_and_no_stale_write_is_stored(int seed)
    {
        await using var store = await OpenAsync();
        var random = new Random(seed);
        var now = LeaseT0;
        string[] holders = ["a", "b"];
        // What each holder believes it holds (the epoch its last successful acquire returned), and the model of the row.
        var believed = new long?[2];
        string? modelHolder = null;
        long modelEpoch = 0;
        var modelExpires = DateTime.MinValue;
        var stored = new List<string>();
        var epochs = new List<long>();
        for (var step = 0; step < 80; step++)
        {
            var who = random.Next(2);
            var kind = (LeaseStep)random.Next(4);
            switch (kind)
            {
                case LeaseStep.Acquire:
                {
                    var free = modelHolder is null || modelHolder == holders[who] || modelExpires <= now;
                    var got = await store.TryAcquireOrRenewAsync("fleet", holders[who], null, LeaseTtl, now, None);
                    if (free)
                    {
                        if (modelHolder != holders[who]) modelEpoch++;
                        modelHolder = holders[who];
                        modelExpires = now + LeaseTtl;
                        Assert.Equal(modelEpoch, got);
                        believed[who] = got;
                    }
                    else
                    {
                        Assert.Null(got);
                    }
                    break;
                }
                case LeaseStep.Release:
                {
                    var held = modelHolder == holders[who] && modelExpires > now;
                    Assert.Equal(held, await store.ReleaseAsync("fleet", holders[who], now, None));
                    if (held) modelExpires = now;
                    break;
                }
                case LeaseStep.Advance:
                    now += TimeSpan.FromSeconds(random.Next(1, 8));
                    break;
                case LeaseStep.Write when believed[who] is { } epoch:
                {
                    // A holder writes with the epoch it last got, whatever happened since (it may have been paused).
                    var id = $"w{step}-{holders[who]}";
                    var valid = modelHolder == holders[who] && modelEpoch == epoch && modelExpires > now;
                    try
                    {
                        await store.AddMaintenanceAsync(Window(id), new LeaseFence("fleet", holders[who], epoch, now), None);
                        Assert.True(valid, $"step {step}: {holders[who]} wrote at epoch {epoch} while the lease was {modelHolder}@{modelEpoch} until {modelExpires:O}");
                        stored.Add(id);
                    }
                    catch (LeaseLostException)
                    {
                        Assert.False(valid, $"step {step}: {holders[who]}'s valid write at epoch {epoch} was refused");
                    }
                    break;
                }
            }
            // After every step: the row is the model; at most one holder is valid now; epochs never fall.
            var state = await store.ReadLeaseAsync("fleet", None);
            if (state is not null)
            {
                Assert.Equal((modelHolder, modelEpoch, modelExpires), (state.Holder, state.Epoch, state.ExpiresAt));
                epochs.Add(state.Epoch);
                Assert.True(holders.Count(h => state.Holder == h && state.ExpiresAt > now) <= 1);
                Assert.True(epochs.Count < 2 || epochs[^1] >= epochs[^2], $"step {step}: the epoch fell");
            }
        }
        var rows = await store.ListMaintenanceAsync(new Period(LeaseT0, LeaseT0.AddDays(2)), None);
        Assert.Equal(stored.Order(StringComparer.Ordinal), rows.Select(w => w.Id).Order(StringComparer.Ordinal));
        Assert.True(modelEpoch >= 2, $"seed {seed}: the lease never changed hands, so the interleaving proved little");
    }
}
