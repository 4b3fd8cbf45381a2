using Lessor.Server.Access;
using Lessor.Server.Claims;
using Lessor.Server.Desk;
using Lessor.Server.Replication;
using Lessor.Server.Tests.Claims;
using Lessor.Server.Tests.Desk;
using Lessor.Storage.Store;
using Microsoft.Extensions.Logging.Abstractions;

namespace Lessor.Server.Tests.Access;

/// <summary>
/// On PostgreSQL a key created or revoked by one server is seen by the others at once: the write notifies at commit and
/// each server's replica loop makes its key cache forget. The cache here reads a clock that never moves, so its own
/// refresh (every 5 s) never happens: only the notification can make the revocation hold.
/// </summary>
public sealed class KeyRevocationTests
{
    private static readonly CancellationToken None = CancellationToken.None;
    private static readonly DateTime Now = new(2026, 12, 2, 0, 0, 0, DateTimeKind.Utc);

    [Fact]
    public async Task Given_two_servers_on_PostgreSQL_When_one_revokes_a_key_Then_the_other_refuses_it_without_waiting_for_its_cache()
    {
        var location = await new StoreFactory.Postgres().CreateAsync();
        await using var store = await LessorStore.OpenAsync(location, None);
        await store.ImportAsync(SmallBook.Build(), None);
        await using var other = await LessorStore.OpenAsync(location, None);
        var created = await ApiKeys.CreateAsync(other, Roles.Operator, null, "revoked elsewhere", Now, None);

        // This server: a key cache on a frozen clock, and the replica loop that listens for other servers' commits.
        var keys = new KeyRegistry(store, new FixedClock(Now));
        var desk = await DealDesk.OpenAsync(store, None);
        await using var loop = new ReplicaLoop(desk, store, TimeSpan.FromSeconds(1), NullLogger.Instance, null, keys.Invalidate);
        loop.Start();
        await WaitUntil(() => loop.Listening, "the replica loop listens");
        Assert.False((await keys.FindAsync(created.Record.Id, None))!.Revoked);
        // A cache that nothing tells: the control, still holding the key as valid after the revocation below.
        var deaf = new KeyRegistry(store, new FixedClock(Now));
        Assert.NotNull(await deaf.FindAsync(created.Record.Id, None));

        Assert.True(await other.RevokeApiKeyAsync(created.Record.Id, Now.AddMinutes(1), None));

        await WaitUntil(async () => (await keys.FindAsync(created.Record.Id, None))!.Revoked, "the revocation reaches this server's key cache");
        Assert.False((await deaf.FindAsync(created.Record.Id, None))!.Revoked);

        // A key created elsewhere is known here too (the same notification).
        var later = await ApiKeys.CreateAsync(other, Roles.Finance, null, "created elsewhere", Now.AddMinutes(2), None);
        await WaitUntil(async () => await keys.FindAsync(later.Record.Id, None) is not null, "the new key reaches this server's key cache");
    }

    private static Task WaitUntil(Func<bool> done, string what) => WaitUntil(() => Task.FromResult(done()), what);

    private static async Task WaitUntil(Func<Task<bool>> done, string what)
    {
        for (var i = 0; i < 300; i++)
        {
            if (await done()) return;
            await Task.Delay(50);
        }
        Assert.Fail($"not within 15 s: {what}");
    }
}
