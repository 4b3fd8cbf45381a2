using System.Data.Common;
using Lessor.Core.Model;

namespace Lessor.Storage.Store;

/// <summary>Reads the model back inside the caller's transaction, every list in stored (= import) order.</summary>
internal sealed class ScenarioReader(Dialect dialect, DbConnection connection, DbTransaction transaction)
{
    /// <summary>Restricts contracts (alias <c>c</c>) and, through a join, their lines and amendments.</summary>
    public sealed record ContractFilter(string Where, IReadOnlyList<(string Name, string Value)> Parameters)
    {
        public static ContractFilter All { get; } = new("1 = 1", []);
        public static ContractFilter OfCustomer(CustomerId id) => new("c.customer_id = @filter", [("@filter", id.Value)]);
        public static ContractFilter OfId(ContractId id) => new("c.id = @filter", [("@filter", id.Value)]);

        /// <summary>Several contracts by id (a change feed's catch-up); at least one id.</summary>
        public static ContractFilter OfIds(IReadOnlyList<string> ids)
        {
            ArgumentOutOfRangeException.ThrowIfZero(ids.Count);
            var names = ids.Select((_, i) => "@f" + i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToList();
            return new($"c.id IN ({string.Join(", ", names)})", names.Zip(ids).ToList());
        }
    }

    public async Task<Scenario> ReadScenarioAsync(CancellationToken ct)
    {
        string name = string.Empty;
        string? description = null;
        var currency = Currency.Usd;
        Core.Risk.UncertaintyModel? uncertainty = null;
        await using (var command = Db.Command(connection, transaction, "SELECT name, description, currency, uncertainty FROM scenario_info WHERE id = 1"))
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            if (await reader.ReadAsync(ct))
            {
                name = reader.GetString(0);
                description = reader.IsDBNull(1) ? null : reader.GetString(1);
                currency = new Currency(reader.GetString(2));
                if (!reader.IsDBNull(3)) uncertainty = Scenarios.ScenarioFile.UncertaintyFromJson(reader.GetString(3));
            }
        }
        return new Scenario
        {
            Name = name,
            Description = description,
            Currency = currency,
            Platforms = await PlatformsAsync(ct),
            Regions = await RegionsAsync(ct),
            Sites = await SitesAsync(ct),
            Fabrics = await FabricsAsync(ct),
            Deliveries = await DeliveriesAsync(ct),
            Customers = await CustomersAsync(ct),
            Contracts = await ContractsAsync(ContractFilter.All, ct),
            Uncertainty = uncertainty,
        };
    }

    public async Task<List<Platform>> PlatformsAsync(CancellationToken ct)
    {
        var aliases = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        await using (var command = Db.Command(connection, transaction, "SELECT platform_id, alias FROM platform_aliases ORDER BY platform_id, ordinal"))
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct)) ListOf(aliases, reader.GetString(0)).Add(reader.GetString(1));
        }
        var platforms = new List<Platform>();
        await using (var command = Db.Command(connection, transaction,
            "SELECT id, name, vendor, gpus_per_unit, dies_per_gpu, scale_up_domain_gpus, unit_kw, cooling, capex_amount, capex_currency, " +
            "on_demand_amount, on_demand_currency, reserved_amount, reserved_currency, spot_amount, spot_currency, lead_time_days, available_from " +
            "FROM platforms ORDER BY ordinal"))
        await using (var r = await command.ExecuteReaderAsync(ct))
        {
            while (await r.ReadAsync(ct))
            {
                var id = r.GetString(0);
                platforms.Add(new Platform
                {
                    Id = new PlatformId(id),
                    Name = r.GetString(1),
                    Vendor = r.GetString(2),
                    Aliases = aliases.TryGetValue(id, out var a) ? a : [],
                    GpusPerUnit = r.GetInt32(3),
                    DiesPerGpu = r.GetInt32(4),
                    ScaleUpDomainGpus = r.GetInt32(5),
                    UnitKw = dialect.GetDecimal(r, 6),
                    Cooling = Enum.Parse<Cooling>(r.GetString(7)),
                    CapexPerUnit = ReadMoney(r, 8),
                    Prices = new PriceList(ReadMoney(r, 10), ReadMoney(r, 12), ReadMoney(r, 14)),
                    LeadTimeDays = r.GetInt32(16),
                    AvailableFrom = dialect.GetTime(r, 17),
                });
            }
        }
        return platforms;
    }

    public async Task<List<Region>> RegionsAsync(CancellationToken ct)
    {
        var regions = new List<Region>();
        await using var command = Db.Command(connection, transaction, "SELECT id, name FROM regions ORDER BY ordinal");
        await using var r = await command.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct)) regions.Add(new Region { Id = new RegionId(r.GetString(0)), Name = r.GetString(1) });
        return regions;
    }

    public async Task<List<Site>> SitesAsync(CancellationToken ct)
    {
        var cooling = new Dictionary<string, List<Cooling>>(StringComparer.Ordinal);
        await using (var command = Db.Command(connection, transaction, "SELECT site_id, cooling FROM site_cooling ORDER BY site_id, ordinal"))
        await using (var r = await command.ExecuteReaderAsync(ct))
        {
            while (await r.ReadAsync(ct)) ListOf(cooling, r.GetString(0)).Add(Enum.Parse<Cooling>(r.GetString(1)));
        }
        var power = new Dictionary<string, List<PowerStep>>(StringComparer.Ordinal);
        await using (var command = Db.Command(connection, transaction, "SELECT site_id, from_at, mw FROM site_power_steps ORDER BY site_id, ordinal"))
        await using (var r = await command.ExecuteReaderAsync(ct))
        {
            while (await r.ReadAsync(ct)) ListOf(power, r.GetString(0)).Add(new PowerStep(dialect.GetTime(r, 1), dialect.GetDecimal(r, 2)));
        }
        var sites = new List<Site>();
        await using (var command = Db.Command(connection, transaction, "SELECT id, name, region_id FROM sites ORDER BY ordinal"))
        await using (var r = await command.ExecuteReaderAsync(ct))
        {
            while (await r.ReadAsync(ct))
            {
                var id = r.GetString(0);
                sites.Add(new Site
                {
                    Id = new SiteId(id),
                    Name = r.GetString(1),
                    Region = new RegionId(r.GetString(2)),
                    Cooling = cooling.TryGetValue(id, out var c) ? c : [],
                    Power = power.TryGetValue(id, out var p) ? p : [],
                });
            }
        }
        return sites;
    }

    public async Task<List<Fabric>> FabricsAsync(CancellationToken ct)
    {
        var fabrics = new List<Fabric>();
        await using var command = Db.Command(connection, transaction, "SELECT id, site_id, platform_id, max_units FROM fabrics ORDER BY ordinal");
        await using var r = await command.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            fabrics.Add(new Fabric
            {
                Id = new FabricId(r.GetString(0)),
                Site = new SiteId(r.GetString(1)),
                Platform = new PlatformId(r.GetString(2)),
                MaxUnits = r.GetInt32(3),
            });
        }
        return fabrics;
    }

    public async Task<List<Delivery>> DeliveriesAsync(CancellationToken ct)
    {
        var deliveries = new List<Delivery>();
        await using var command = Db.Command(connection, transaction,
            "SELECT id, fabric_id, units, status, ordered_on, acceptance_date, original_acceptance_date FROM deliveries ORDER BY ordinal");
        await using var r = await command.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            deliveries.Add(new Delivery
            {
                Id = new DeliveryId(r.GetString(0)),
                Fabric = new FabricId(r.GetString(1)),
                Units = r.GetInt32(2),
                Status = Enum.Parse<DeliveryStatus>(r.GetString(3)),
                OrderedOn = dialect.GetTimeOrNull(r, 4),
                AcceptanceDate = dialect.GetTime(r, 5),
                OriginalAcceptanceDate = dialect.GetTimeOrNull(r, 6),
            });
        }
        return deliveries;
    }

    public async Task<List<Customer>> CustomersAsync(CancellationToken ct)
    {
        var customers = new List<Customer>();
        await using var command = Db.Command(connection, transaction, "SELECT id, name FROM customers ORDER BY ordinal");
        await using var r = await command.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct)) customers.Add(new Customer { Id = new CustomerId(r.GetString(0)), Name = r.GetString(1) });
        return customers;
    }

    public async Task<List<Contract>> ContractsAsync(ContractFilter filter, CancellationToken ct)
    {
        var blocks = new Dictionary<(string, string), List<PlacedBlock>>();
        await ReadRowsAsync(filter,
            "SELECT b.contract_id, b.line_id, b.fabric_id, b.units FROM line_blocks b JOIN contracts c ON c.id = b.contract_id " +
            $"WHERE {filter.Where} ORDER BY c.ordinal, b.line_id, b.ordinal",
            r => ListOf(blocks, (r.GetString(0), r.GetString(1))).Add(new PlacedBlock(new FabricId(r.GetString(2)), r.GetInt32(3))), ct);

        var lines = new Dictionary<string, List<ContractLine>>(StringComparer.Ordinal);
        await ReadRowsAsync(filter,
            $"SELECT l.contract_id, l.line_id, {Tables.LineSelect("l")} FROM contract_lines l JOIN contracts c ON c.id = l.contract_id " +
            $"WHERE {filter.Where} ORDER BY c.ordinal, l.ordinal",
            r =>
            {
                var contract = r.GetString(0);
                var line = r.GetString(1);
                ListOf(lines, contract).Add(ReadLine(r, 1, blocks.TryGetValue((contract, line), out var b) ? b : []));
            }, ct);

        var snapshotBlocks = new Dictionary<(string, int, string), List<PlacedBlock>>();
        await ReadRowsAsync(filter,
            "SELECT b.contract_id, b.amendment_ordinal, b.side, b.fabric_id, b.units FROM amendment_line_blocks b " +
            $"JOIN contracts c ON c.id = b.contract_id WHERE {filter.Where} ORDER BY c.ordinal, b.amendment_ordinal, b.side, b.ordinal",
            r => ListOf(snapshotBlocks, (r.GetString(0), r.GetInt32(1), r.GetString(2)))
                .Add(new PlacedBlock(new FabricId(r.GetString(3)), r.GetInt32(4))), ct);

        var snapshots = new Dictionary<(string, int, string), ContractLine>();
        await ReadRowsAsync(filter,
            $"SELECT l.contract_id, l.amendment_ordinal, l.side, l.line_id, {Tables.LineSelect("l")} FROM amendment_lines l " +
            $"JOIN contracts c ON c.id = l.contract_id WHERE {filter.Where}",
            r =>
            {
                var key = (r.GetString(0), r.GetInt32(1), r.GetString(2));
                snapshots[key] = ReadLine(r, 3, snapshotBlocks.TryGetValue(key, out var b) ? b : []);
            }, ct);

        var amendments = new Dictionary<string, List<Amendment>>(StringComparer.Ordinal);
        await ReadRowsAsync(filter,
            "SELECT a.contract_id, a.ordinal, a.sequence, a.effective_on, a.kind, a.line_id, a.note FROM amendments a " +
            $"JOIN contracts c ON c.id = a.contract_id WHERE {filter.Where} ORDER BY c.ordinal, a.ordinal",
            r =>
            {
                var contract = r.GetString(0);
                var ordinal = r.GetInt32(1);
                ListOf(amendments, contract).Add(new Amendment
                {
                    Sequence = r.GetInt32(2),
                    EffectiveOn = dialect.GetTime(r, 3),
                    Kind = Enum.Parse<AmendmentKind>(r.GetString(4)),
                    Line = r.IsDBNull(5) ? null : new LineId(r.GetString(5)),
                    Note = r.IsDBNull(6) ? null : r.GetString(6),
                    Before = snapshots.GetValueOrDefault((contract, ordinal, "before")),
                    After = snapshots.GetValueOrDefault((contract, ordinal, "after")),
                });
            }, ct);

        var contracts = new List<Contract>();
        await ReadRowsAsync(filter,
            "SELECT c.id, c.customer_id, c.signed_on, c.currency, c.kind, c.title, c.headline_amount, c.headline_currency, " +
            "c.prepayment_amount, c.prepayment_currency, c.backstop_cap_amount, c.backstop_cap_currency, c.backstop_start, c.backstop_end, " +
            "c.sla_availability_target, c.sla_credit_fraction, c.sla_credit_cap_fraction, c.cancellation_fee_fraction, " +
            "c.cancellation_notice_days, c.cancelled_on, c.cancellation_fee_amount, c.cancellation_fee_currency, c.cancellation_reason, c.late_delivery, " +
            "t.tiers, t.degraded, t.maintenance_notice_days " +
            $"FROM contracts c LEFT JOIN contract_sla_terms t ON t.contract_id = c.id WHERE {filter.Where} ORDER BY c.ordinal",
            r =>
            {
                var id = r.GetString(0);
                contracts.Add(new Contract
                {
                    Id = new ContractId(id),
                    Customer = new CustomerId(r.GetString(1)),
                    SignedOn = dialect.GetTime(r, 2),
                    Currency = new Currency(r.GetString(3)),
                    Kind = Enum.Parse<ContractKind>(r.GetString(4)),
                    Title = r.IsDBNull(5) ? null : r.GetString(5),
                    HeadlineValue = ReadMoneyOrNull(r, 6),
                    Prepayment = ReadMoneyOrNull(r, 8),
                    BackstopCap = ReadMoneyOrNull(r, 10),
                    BackstopPeriod = r.IsDBNull(12) ? null : new Period(dialect.GetTime(r, 12), dialect.GetTime(r, 13)),
                    Sla = r.IsDBNull(14) ? null : new SlaTerms(dialect.GetDecimal(r, 14), dialect.GetDecimal(r, 15), dialect.GetDecimal(r, 16))
                    {
                        Tiers = r.IsDBNull(24) ? [] : SlaTierText.Read(r.GetString(24)),
                        Degraded = r.IsDBNull(25) ? DegradedPolicy.Available : Enum.Parse<DegradedPolicy>(r.GetString(25)),
                        MaintenanceNoticeDays = r.IsDBNull(26) ? SlaTerms.DefaultMaintenanceNoticeDays : r.GetInt32(26),
                    },
                    CancellationTerms = r.IsDBNull(17) ? null : new CancellationTerms(dialect.GetDecimal(r, 17), r.GetInt32(18)),
                    Cancellation = r.IsDBNull(19) ? null : new Cancellation(dialect.GetTime(r, 19), ReadMoney(r, 20), r.IsDBNull(22) ? null : r.GetString(22)),
                    LateDelivery = Enum.Parse<LateDeliveryRule>(r.GetString(23)),
                    Lines = lines.TryGetValue(id, out var l) ? l : [],
                    Amendments = amendments.TryGetValue(id, out var a) ? a : [],
                });
            }, ct);
        return contracts;
    }

    /// <summary>Reads a line whose id is at <paramref name="at"/> and whose <see cref="Tables.LineSelect"/> columns follow it.</summary>
    private ContractLine ReadLine(DbDataReader r, int at, IReadOnlyList<PlacedBlock> pinned)
    {
        var c = at + 1;
        return new ContractLine
        {
            Id = new LineId(r.GetString(at)),
            Platform = new PlatformId(r.GetString(c)),
            Gpus = new GpuCount(r.GetInt32(c + 1)),
            Period = new Period(dialect.GetTime(r, c + 2), dialect.GetTime(r, c + 3)),
            PricePerGpuHour = ReadMoney(r, c + 4),
            Locality = Enum.Parse<Locality>(r.GetString(c + 6)),
            BlockSize = r.IsDBNull(c + 7) ? null : new GpuCount(r.GetInt32(c + 7)),
            MinSites = r.GetInt32(c + 8),
            Option = r.IsDBNull(c + 9)
                ? null
                : new OptionTerms
                {
                    ExerciseBy = dialect.GetTime(r, c + 9),
                    ExercisedOn = dialect.GetTimeOrNull(r, c + 10),
                    ExercisedUnder = r.IsDBNull(c + 11) ? null : new ContractId(r.GetString(c + 11)),
                },
            Pinned = pinned,
        };
    }

    private async Task ReadRowsAsync(ContractFilter filter, string sql, Action<DbDataReader> row, CancellationToken ct)
    {
        await using var command = Db.Command(connection, transaction, sql);
        foreach (var (name, value) in filter.Parameters) Db.Add(command, name, value);
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) row(reader);
    }

    private Money ReadMoney(DbDataReader r, int amount) => new(dialect.GetDecimal(r, amount), new Currency(r.GetString(amount + 1)));

    private Money? ReadMoneyOrNull(DbDataReader r, int amount) => r.IsDBNull(amount) ? null : ReadMoney(r, amount);

    private static List<TValue> ListOf<TKey, TValue>(Dictionary<TKey, List<TValue>> map, TKey key)
        where TKey : notnull
    {
        if (!map.TryGetValue(key, out var list))
        {
            list = [];
            map.Add(key, list);
        }
        return list;
    }
}
