using System.Diagnostics;
using Lessor.Core.Ledger;
using Lessor.Core.Model;
using Lessor.Server.Desk;
using Lessor.Storage.Store;

namespace Lessor.Bench.Desk;

/// <summary>
/// Signs through the store with durable commits (SQLite WAL, synchronous=FULL): small one-line deals against a
/// scenario, one after another and from several concurrent clients, and reports signs per second.
/// </summary>
internal static class SignBench
{
    public static async Task<(double SequentialPerSecond, double ConcurrentPerSecond, int Signed)> RunAsync(Scenario scenario, string dbPath, int signs, int clients, CancellationToken ct)
    {
        foreach (var f in new[] { dbPath, dbPath + "-wal", dbPath + "-shm" }) File.Delete(f);
        await using var store = await LessorStore.OpenAsync(new StoreLocation.Sqlite(dbPath), ct);
        await store.ImportAsync(scenario, ct);
        var desk = await DealDesk.OpenAsync(store, ct);
        var requests = Requests(scenario, signs * 2);

        var watch = Stopwatch.StartNew();
        var signed = 0;
        for (var i = 0; i < signs; i++)
        {
            if ((await desk.SignAsync(requests[i], ct)).Signed) signed++;
        }
        var sequential = signs / watch.Elapsed.TotalSeconds;

        watch.Restart();
        var next = signs - 1;
        var workers = Enumerable.Range(0, clients).Select(_ => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < signs * 2)
            {
                if ((await desk.SignAsync(requests[i], ct)).Signed) Interlocked.Increment(ref signed);
            }
        }, ct)).ToArray();
        await Task.WhenAll(workers);
        var concurrent = signs / watch.Elapsed.TotalSeconds;
        return (sequential, concurrent, signed);
    }

    /// <summary>One-unit deals of the most common platform, a year long, starting at the first delivery: they fit until the fleet fills.</summary>
    private static List<SignRequest> Requests(Scenario s, int count)
    {
        var platform = s.Fabrics.GroupBy(f => f.Platform).OrderByDescending(g => g.Count()).First().Key;
        var unit = s.Platforms.First(p => p.Id == platform).GpusPerUnit;
        var start = s.Deliveries.Where(d => s.Fabrics.First(f => f.Id == d.Fabric).Platform == platform).Max(d => d.AcceptanceDate);
        var customer = s.Customers[0].Id;
        var result = new List<SignRequest>(count);
        for (var i = 0; i < count; i++)
        {
            var deal = new DealRequest(customer, [new DealLine { Platform = platform, Gpus = new GpuCount(unit), Period = new Period(start, start.AddDays(30)) }]);
            result.Add(new SignRequest(deal, new ContractId($"bench-{i}"), start, new IdempotencyKey("bench", $"bench-key-{i}", "")));
        }
        return result;
    }
}
