using System.Diagnostics;
using System.Globalization;
using Lessor.Core.Model;
using Lessor.Storage.Store;

namespace Lessor.Bench;

/// <summary>
/// Import speed of the store: a whole 1,000,000-GPU scenario in one transaction. Run with
/// <c>dotnet run -c Release --project bench/Lessor.Bench -- import [--pg CONNECTION]</c>.
/// </summary>
public static class ImportBenchmark
{
    /// <summary>Opens (migrates) a fresh SQLite store at <paramref name="dbPath"/>, then times the import alone.</summary>
    public static async Task<TimeSpan> MeasureSqliteImport(Scenario scenario, string dbPath, CancellationToken ct)
    {
        foreach (var suffix in new[] { "", "-wal", "-shm" })
        {
            if (File.Exists(dbPath + suffix)) File.Delete(dbPath + suffix);
        }
        return await MeasureImport(scenario, new StoreLocation.Sqlite(dbPath), ct);
    }

    /// <summary>Times the import into an empty PostgreSQL database (the caller creates and drops it).</summary>
    public static Task<TimeSpan> MeasurePostgresImport(Scenario scenario, string connectionString, CancellationToken ct) =>
        MeasureImport(scenario, new StoreLocation.Postgres(connectionString), ct);

    private static async Task<TimeSpan> MeasureImport(Scenario scenario, StoreLocation location, CancellationToken ct)
    {
        await using var store = await LessorStore.OpenAsync(location, ct);
        if (!await store.IsEmptyAsync(ct)) throw new InvalidOperationException($"{location} is not empty.");
        var watch = Stopwatch.StartNew();
        await store.ImportAsync(scenario, ct);
        return watch.Elapsed;
    }

    /// <summary>Times a full export: what rebuilding the engines from the store costs in reading.</summary>
    public static async Task<TimeSpan> MeasureExport(StoreLocation location, CancellationToken ct)
    {
        await using var store = await LessorStore.OpenAsync(location, ct);
        var watch = Stopwatch.StartNew();
        var scenario = await store.ExportAsync(ct);
        var elapsed = watch.Elapsed;
        if (scenario.Contracts.Count == 0) throw new InvalidOperationException("The export found no contracts.");
        return elapsed;
    }

    /// <summary>
    /// A deterministic stand-in for the generated 1,000,000-GPU scenario, with its shape: 43 sites,
    /// ~2,000 fabrics, ~14,000 NVL72-sized units in ~15,000 deliveries, ~10,000 contracts with 20,000 pinned
    /// lines (2024-2035) and some amendments. Until the real generator is wired in, it sizes the import.
    /// </summary>
    public static Scenario Synthetic(int seed = 42, int fabrics = 2_000, int deliveries = 15_000, int contracts = 10_000, int lines = 20_000)
    {
        var random = new Random(seed);
        var usd = Currency.Usd;
        string Name(string prefix, int i) => prefix + i.ToString("D5", CultureInfo.InvariantCulture);
        DateTime Day(int year, int offset) => Utc.Date(year, 1, 1).AddDays(offset);

        var platformNames = new[] { "h100-hgx", "h200-hgx", "b200-hgx", "gb200-nvl72", "gb300-nvl72", "vr-nvl72" };
        var gpusPerUnit = new[] { 8, 8, 8, 72, 72, 72 };
        var platforms = platformNames.Select((n, i) => new Platform
        {
            Id = new PlatformId(n),
            Name = n.ToUpperInvariant(),
            Vendor = "NVIDIA",
            Aliases = i == 5 ? ["NVL144"] : [],
            GpusPerUnit = gpusPerUnit[i],
            DiesPerGpu = i >= 3 ? 2 : 1,
            ScaleUpDomainGpus = gpusPerUnit[i],
            UnitKw = i >= 3 ? 132.5m : 10.2m,
            Cooling = i >= 3 ? Cooling.Liquid : Cooling.Air,
            CapexPerUnit = new Money(i >= 3 ? 3_900_000m : 300_000m, usd),
            Prices = new PriceList(new Money(6m, usd), new Money(4.1m, usd), new Money(2.25m, usd)),
            LeadTimeDays = 240,
            AvailableFrom = Utc.Date(2023 + i / 2, 1, 1),
        }).ToArray();

        var regions = Enumerable.Range(0, 8).Select(i => new Region { Id = new RegionId(Name("region-", i)), Name = Name("Region ", i) }).ToArray();
        var sites = Enumerable.Range(0, 43).Select(i => new Site
        {
            Id = new SiteId(Name("site-", i)),
            Name = Name("Site ", i),
            Region = regions[i % regions.Length].Id,
            Cooling = [Cooling.Air, Cooling.Liquid],
            Power = [new PowerStep(Utc.Date(2024, 1, 1), 20m + i), new PowerStep(Utc.Date(2026, 7, 1), 60.5m + i), new PowerStep(Utc.Date(2027, 7, 1), 120.25m + i)],
        }).ToArray();
        var fabricList = Enumerable.Range(0, fabrics).Select(i => new Fabric
        {
            Id = new FabricId(Name("fabric-", i)),
            Site = sites[i % sites.Length].Id,
            Platform = platforms[i % platforms.Length].Id,
            MaxUnits = 16 + random.Next(16),
        }).ToArray();
        var deliveryList = Enumerable.Range(0, deliveries).Select(i =>
        {
            var accepted = Day(2024, random.Next(365 * 4));
            var slipped = random.Next(10) == 0;
            return new Delivery
            {
                Id = new DeliveryId(Name("delivery-", i)),
                Fabric = fabricList[i % fabricList.Length].Id,
                // Eight HGX nodes or one NVL72 rack per delivery: about 1,000,000 GPUs in all.
                Units = gpusPerUnit[i % fabricList.Length % platforms.Length] == 8 ? 8 : 1,
                Status = (DeliveryStatus)random.Next(4),
                OrderedOn = accepted.AddDays(-240),
                AcceptanceDate = slipped ? accepted.AddDays(45) : accepted,
                OriginalAcceptanceDate = slipped ? accepted : null,
            };
        }).ToArray();
        var customers = Enumerable.Range(0, 500).Select(i => new Customer { Id = new CustomerId(Name("customer-", i)), Name = Name("Customer ", i) }).ToArray();

        var linesPerContract = (lines + contracts - 1) / contracts;
        var lineCount = 0;
        var contractList = new Contract[contracts];
        for (var c = 0; c < contracts; c++)
        {
            var contractLines = new List<ContractLine>();
            for (var l = 0; l < linesPerContract && lineCount < lines; l++, lineCount++)
            {
                var fabric = fabricList[(c * 7 + l) % fabricList.Length];
                var p = Array.FindIndex(platforms, x => x.Id == fabric.Platform);
                var start = Day(2024, random.Next(365 * 6)).AddMinutes(random.Next(1440));
                contractLines.Add(new ContractLine
                {
                    Id = new LineId("l" + l.ToString(CultureInfo.InvariantCulture)),
                    Platform = fabric.Platform,
                    Gpus = new GpuCount(gpusPerUnit[p]),
                    Period = new Period(start, start.AddDays(365 + random.Next(365 * 5))),
                    PricePerGpuHour = new Money(1.5m + random.Next(300) / 100m, usd),
                    Locality = (Locality)random.Next(4),
                    Pinned = [new PlacedBlock(fabric.Id, 1)],
                });
            }
            var signed = Day(2023, random.Next(365 * 3));
            contractList[c] = new Contract
            {
                Id = new ContractId(Name("contract-", c)),
                Customer = customers[c % customers.Length].Id,
                SignedOn = signed,
                Currency = usd,
                Title = Name("Contract ", c),
                HeadlineValue = new Money(random.Next(1, 1_000_000) * 1000m, usd),
                Lines = contractLines,
                Prepayment = c % 4 == 0 ? new Money(random.Next(1, 100_000) * 100m, usd) : null,
                Sla = new SlaTerms(0.999m, 0.1m, 0.5m),
                CancellationTerms = new CancellationTerms(0.25m, 90),
                Amendments = c % 10 == 0 && contractLines.Count > 0
                    ? [new Amendment { Sequence = 1, EffectiveOn = signed.AddDays(30), Kind = AmendmentKind.Grow, Line = contractLines[0].Id, Before = contractLines[0], After = contractLines[0] }]
                    : [],
            };
        }

        return new Scenario
        {
            Name = "synthetic-1m",
            Description = "Synthetic scenario of the generated 1,000,000-GPU shape, for the import benchmark.",
            Platforms = platforms,
            Regions = regions,
            Sites = sites,
            Fabrics = fabricList,
            Deliveries = deliveryList,
            Customers = customers,
            Contracts = contractList,
        };
    }

    /// <summary>Command-line entry: <c>import [--db PATH] [--pg CONNECTION] [--runs N]</c>; prints one line per run.</summary>
    public static async Task<int> RunAsync(string[] args, CancellationToken ct)
    {
        var dbPath = Path.Combine(Path.GetTempPath(), "lessor-bench", "import.db");
        string? pg = null;
        var runs = 3;
        for (var i = 0; i < args.Length - 1; i++)
        {
            switch (args[i])
            {
                case "--db": dbPath = args[++i]; break;
                case "--pg": pg = args[++i]; break;
                case "--runs": runs = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
            }
        }
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(dbPath))!);
        var build = Stopwatch.StartNew();
        var scenario = Synthetic();
        var unitGpus = scenario.Fabrics.ToDictionary(f => f.Id, f => scenario.Platforms.First(p => p.Id == f.Platform).GpusPerUnit);
        var gpus = scenario.Deliveries.Sum(d => d.Units * unitGpus[d.Fabric]);
        Console.WriteLine(FormattableString.Invariant(
            $"scenario: {scenario.Fabrics.Count} fabrics, {scenario.Deliveries.Count} deliveries ({gpus} GPUs), {scenario.Contracts.Count} contracts, {scenario.Contracts.Sum(c => c.Lines.Count)} lines; built in {build.Elapsed.TotalSeconds:F2} s"));
        for (var run = 1; run <= runs; run++)
        {
            var sqlite = await MeasureSqliteImport(scenario, dbPath, ct);
            var export = await MeasureExport(new StoreLocation.Sqlite(dbPath), ct);
            Console.WriteLine(FormattableString.Invariant($"run {run}: SQLite import {sqlite.TotalSeconds:F2} s, export {export.TotalSeconds:F2} s"));
        }
        if (pg is not null)
        {
            for (var run = 1; run <= runs; run++)
            {
                var database = "lessor_bench_" + Guid.NewGuid().ToString("N");
                await PostgresAdmin(pg, $"CREATE DATABASE {database}", ct);
                try
                {
                    var target = new Npgsql.NpgsqlConnectionStringBuilder(pg) { Database = database }.ConnectionString;
                    var import = await MeasurePostgresImport(scenario, target, ct);
                    var export = await MeasureExport(new StoreLocation.Postgres(target), ct);
                    Console.WriteLine(FormattableString.Invariant($"run {run}: PostgreSQL import {import.TotalSeconds:F2} s, export {export.TotalSeconds:F2} s"));
                }
                finally
                {
                    await PostgresAdmin(pg, $"DROP DATABASE IF EXISTS {database} WITH (FORCE)", ct);
                }
            }
        }
        return 0;
    }

    private static async Task PostgresAdmin(string connectionString, string sql, CancellationToken ct)
    {
        await using var connection = new Npgsql.NpgsqlConnection(connectionString);
        await connection.OpenAsync(ct);
        await using var command = new Npgsql.NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(ct);
    }
}
