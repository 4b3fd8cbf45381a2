using System.Data.Common;
using Lessor.Core.Model;

namespace Lessor.Storage.Store;

/// <summary>
/// Writes a whole scenario inside the caller's transaction: first every id and reference is checked
/// (so a refusal names the id and writes nothing), then each table is streamed in scenario order.
/// </summary>
internal sealed class ScenarioWriter(Dialect dialect, DbConnection connection, DbTransaction transaction)
{
    public async Task WriteAsync(Scenario scenario, CancellationToken ct)
    {
        // Taking the row lock first serializes concurrent writers (on PostgreSQL the second waits here and
        // then sees the first one's rows), so the checks below see every committed id.
        await using (var bump = Db.Command(connection, transaction, "UPDATE store_state SET revision = revision + 1 WHERE id = 1"))
        {
            await bump.ExecuteNonQueryAsync(ct);
        }
        await CheckAsync(scenario, ct);
        await WriteInfoAsync(scenario, ct);
        await WritePlatformsAsync(scenario.Platforms, ct);
        await WriteRegionsAsync(scenario.Regions, ct);
        await WriteSitesAsync(scenario.Sites, ct);
        await WriteFabricsAsync(scenario.Fabrics, ct);
        await WriteDeliveriesAsync(scenario.Deliveries, ct);
        await WriteCustomersAsync(scenario.Customers, ct);
        await WriteContractsAsync(scenario.Contracts, ct);
    }

    /// <summary>
    /// Writes one contract (new, or replacing the stored one in place, keeping its position in the book). The
    /// caller has checked its references against the in-memory book, which the revision check keeps current.
    /// </summary>
    public async Task WriteContractAsync(Contract contract, bool replace, CancellationToken ct)
    {
        long? ordinal = null;
        if (replace)
        {
            await using (var find = Db.Command(connection, transaction, "SELECT ordinal FROM contracts WHERE id = @id"))
            {
                Db.Add(find, "id", contract.Id.Value);
                ordinal = Convert.ToInt64(await find.ExecuteScalarAsync(ct) ?? throw new InvalidOperationException($"Contract '{contract.Id}' is not stored."), System.Globalization.CultureInfo.InvariantCulture);
            }
            foreach (var table in new[] { "amendment_line_blocks", "amendment_lines", "amendments", "line_blocks", "contract_lines", "contract_sla_terms" })
            {
                await using var delete = Db.Command(connection, transaction, $"DELETE FROM {table} WHERE contract_id = @id");
                Db.Add(delete, "id", contract.Id.Value);
                await delete.ExecuteNonQueryAsync(ct);
            }
            await using var drop = Db.Command(connection, transaction, "DELETE FROM contracts WHERE id = @id");
            Db.Add(drop, "id", contract.Id.Value);
            await drop.ExecuteNonQueryAsync(ct);
        }
        await WriteContractsAsync([contract], ct);
        if (ordinal is { } o)
        {
            await using var back = Db.Command(connection, transaction, "UPDATE contracts SET ordinal = @o WHERE id = @id");
            Db.Add(back, "o", o);
            Db.Add(back, "id", contract.Id.Value);
            await back.ExecuteNonQueryAsync(ct);
        }
    }

    private async Task CheckAsync(Scenario s, CancellationToken ct)
    {
        var platforms = await IdsAsync("platforms", ct);
        var regions = await IdsAsync("regions", ct);
        var sites = await IdsAsync("sites", ct);
        var fabrics = await IdsAsync("fabrics", ct);
        var deliveries = await IdsAsync("deliveries", ct);
        var customers = await IdsAsync("customers", ct);
        var contracts = await IdsAsync("contracts", ct);

        foreach (var p in s.Platforms) Claim(platforms, "platform", p.Id.Value);
        foreach (var r in s.Regions) Claim(regions, "region", r.Id.Value);
        foreach (var site in s.Sites)
        {
            Claim(sites, "site", site.Id.Value);
            Refer(regions, $"sites[{site.Id}].region", "region", site.Region.Value);
        }
        foreach (var f in s.Fabrics)
        {
            Claim(fabrics, "fabric", f.Id.Value);
            Refer(sites, $"fabrics[{f.Id}].site", "site", f.Site.Value);
            Refer(platforms, $"fabrics[{f.Id}].platform", "platform", f.Platform.Value);
        }
        foreach (var d in s.Deliveries)
        {
            Claim(deliveries, "delivery", d.Id.Value);
            Refer(fabrics, $"deliveries[{d.Id}].fabric", "fabric", d.Fabric.Value);
        }
        foreach (var c in s.Customers) Claim(customers, "customer", c.Id.Value);
        var lineIds = new HashSet<string>(StringComparer.Ordinal);
        foreach (var c in s.Contracts)
        {
            Claim(contracts, "contract", c.Id.Value);
            Refer(customers, $"contracts[{c.Id}].customer", "customer", c.Customer.Value);
            lineIds.Clear();
            foreach (var line in c.Lines)
            {
                if (!lineIds.Add(line.Id.Value))
                    throw new StoreConflictException("line", $"{c.Id}/{line.Id}", $"line '{line.Id}' appears twice in contract '{c.Id}'.");
                CheckLine(platforms, fabrics, $"contracts[{c.Id}].lines[{line.Id}]", line);
            }
            for (var i = 0; i < c.Amendments.Count; i++)
            {
                var a = c.Amendments[i];
                if (a.Before is { } before) CheckLine(platforms, fabrics, $"contracts[{c.Id}].amendments[{i}].before", before);
                if (a.After is { } after) CheckLine(platforms, fabrics, $"contracts[{c.Id}].amendments[{i}].after", after);
            }
        }
    }

    private static void CheckLine(HashSet<string> platforms, HashSet<string> fabrics, string path, ContractLine line)
    {
        Refer(platforms, path + ".platform", "platform", line.Platform.Value);
        for (var i = 0; i < line.Pinned.Count; i++)
            Refer(fabrics, $"{path}.pinned[{i}].fabric", "fabric", line.Pinned[i].Fabric.Value);
    }

    private static void Claim(HashSet<string> ids, string entity, string id)
    {
        if (!ids.Add(id))
            throw new StoreConflictException(entity, id, $"{entity} '{id}' already exists in the store or appears twice in the import; nothing was imported.");
    }

    private static void Refer(HashSet<string> ids, string path, string entity, string id)
    {
        if (!ids.Contains(id)) throw new StoreReferenceException(path, entity, id);
    }

    private async Task<HashSet<string>> IdsAsync(string table, CancellationToken ct)
    {
        var ids = new HashSet<string>(StringComparer.Ordinal);
        await using var command = Db.Command(connection, transaction, $"SELECT id FROM {table}");
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) ids.Add(reader.GetString(0));
        return ids;
    }

    // New rows go after the ones already stored, so an export lists them in import order.
    private async Task<int> NextOrdinalAsync(string table, CancellationToken ct) =>
        checked((int)await Db.ScalarLongAsync(connection, transaction, $"SELECT COALESCE(MAX(ordinal) + 1, 0) FROM {table}", ct));

    private async Task WriteInfoAsync(Scenario s, CancellationToken ct)
    {
        // The first import names the book; later ones add to it. An uncertainty model replaces the stored one; a book
        // without one never touches the column (a store opened at an older schema version imports as before).
        if (await Db.ScalarLongAsync(connection, transaction, "SELECT COUNT(*) FROM scenario_info", ct) == 0)
        {
            await using var insert = Db.Command(connection, transaction,
                "INSERT INTO scenario_info (id, name, description, currency) VALUES (1, @name, @description, @currency)");
            Db.Add(insert, "name", s.Name);
            Db.Add(insert, "description", s.Description);
            Db.Add(insert, "currency", s.Currency.Code);
            await insert.ExecuteNonQueryAsync(ct);
        }
        if (s.Uncertainty is null) return;
        await using var update = Db.Command(connection, transaction, "UPDATE scenario_info SET uncertainty = @uncertainty WHERE id = 1");
        Db.Add(update, "uncertainty", Scenarios.ScenarioFile.UncertaintyToJson(s.Uncertainty));
        await update.ExecuteNonQueryAsync(ct);
    }

    private async Task WritePlatformsAsync(IReadOnlyList<Platform> platforms, CancellationToken ct)
    {
        var ordinal = await NextOrdinalAsync("platforms", ct);
        await using (var w = await dialect.CreateWriterAsync(connection, transaction, Tables.Platforms, ct))
        {
            foreach (var p in platforms)
            {
                w.Text(p.Id.Value).Int(ordinal++).Text(p.Name).Text(p.Vendor).Int(p.GpusPerUnit).Int(p.DiesPerGpu)
                    .Int(p.ScaleUpDomainGpus).Decimal(p.UnitKw).Text(p.Cooling.ToString());
                WriteMoney(w, p.CapexPerUnit);
                WriteMoney(w, p.Prices.OnDemand);
                WriteMoney(w, p.Prices.Reserved);
                WriteMoney(w, p.Prices.Spot);
                w.Int(p.LeadTimeDays).Time(p.AvailableFrom);
                await w.EndRowAsync(ct);
            }
            await w.CompleteAsync(ct);
        }
        await using (var w = await dialect.CreateWriterAsync(connection, transaction, Tables.PlatformAliases, ct))
        {
            foreach (var p in platforms)
            {
                for (var i = 0; i < p.Aliases.Count; i++)
                {
                    w.Text(p.Id.Value).Int(i).Text(p.Aliases[i]);
                    await w.EndRowAsync(ct);
                }
            }
            await w.CompleteAsync(ct);
        }
    }

    private async Task WriteRegionsAsync(IReadOnlyList<Region> regions, CancellationToken ct)
    {
        var ordinal = await NextOrdinalAsync("regions", ct);
        await using var w = await dialect.CreateWriterAsync(connection, transaction, Tables.Regions, ct);
        foreach (var r in regions)
        {
            w.Text(r.Id.Value).Int(ordinal++).Text(r.Name);
            await w.EndRowAsync(ct);
        }
        await w.CompleteAsync(ct);
    }

    private async Task WriteSitesAsync(IReadOnlyList<Site> sites, CancellationToken ct)
    {
        var ordinal = await NextOrdinalAsync("sites", ct);
        await using (var w = await dialect.CreateWriterAsync(connection, transaction, Tables.Sites, ct))
        {
            foreach (var s in sites)
            {
                w.Text(s.Id.Value).Int(ordinal++).Text(s.Name).Text(s.Region.Value);
                await w.EndRowAsync(ct);
            }
            await w.CompleteAsync(ct);
        }
        await using (var w = await dialect.CreateWriterAsync(connection, transaction, Tables.SiteCooling, ct))
        {
            foreach (var s in sites)
            {
                for (var i = 0; i < s.Cooling.Count; i++)
                {
                    w.Text(s.Id.Value).Int(i).Text(s.Cooling[i].ToString());
                    await w.EndRowAsync(ct);
                }
            }
            await w.CompleteAsync(ct);
        }
        await using (var w = await dialect.CreateWriterAsync(connection, transaction, Tables.SitePowerSteps, ct))
        {
            foreach (var s in sites)
            {
                for (var i = 0; i < s.Power.Count; i++)
                {
                    w.Text(s.Id.Value).Int(i).Time(s.Power[i].From).Decimal(s.Power[i].Mw);
                    await w.EndRowAsync(ct);
                }
            }
            await w.CompleteAsync(ct);
        }
    }

    private async Task WriteFabricsAsync(IReadOnlyList<Fabric> fabrics, CancellationToken ct)
    {
        var ordinal = await NextOrdinalAsync("fabrics", ct);
        await using var w = await dialect.CreateWriterAsync(connection, transaction, Tables.Fabrics, ct);
        foreach (var f in fabrics)
        {
            w.Text(f.Id.Value).Int(ordinal++).Text(f.Site.Value).Text(f.Platform.Value).Int(f.MaxUnits);
            await w.EndRowAsync(ct);
        }
        await w.CompleteAsync(ct);
    }

    private async Task WriteDeliveriesAsync(IReadOnlyList<Delivery> deliveries, CancellationToken ct)
    {
        var ordinal = await NextOrdinalAsync("deliveries", ct);
        await using var w = await dialect.CreateWriterAsync(connection, transaction, Tables.Deliveries, ct);
        foreach (var d in deliveries)
        {
            w.Text(d.Id.Value).Int(ordinal++).Text(d.Fabric.Value).Int(d.Units).Text(d.Status.ToString())
                .Time(d.OrderedOn).Time(d.AcceptanceDate).Time(d.OriginalAcceptanceDate);
            await w.EndRowAsync(ct);
        }
        await w.CompleteAsync(ct);
    }

    private async Task WriteCustomersAsync(IReadOnlyList<Customer> customers, CancellationToken ct)
    {
        var ordinal = await NextOrdinalAsync("customers", ct);
        await using var w = await dialect.CreateWriterAsync(connection, transaction, Tables.Customers, ct);
        foreach (var c in customers)
        {
            w.Text(c.Id.Value).Int(ordinal++).Text(c.Name);
            await w.EndRowAsync(ct);
        }
        await w.CompleteAsync(ct);
    }

    private async Task WriteContractsAsync(IReadOnlyList<Contract> contracts, CancellationToken ct)
    {
        var ordinal = await NextOrdinalAsync("contracts", ct);
        await using (var w = await dialect.CreateWriterAsync(connection, transaction, Tables.Contracts, ct))
        {
            foreach (var c in contracts)
            {
                w.Text(c.Id.Value).Int(ordinal++).Text(c.Customer.Value).Time(c.SignedOn)
                    .Text(c.Currency.Code).Text(c.Kind.ToString()).Text(c.Title);
                WriteMoney(w, c.HeadlineValue);
                WriteMoney(w, c.Prepayment);
                WriteMoney(w, c.BackstopCap);
                w.Time(c.BackstopPeriod?.Start).Time(c.BackstopPeriod?.End)
                    .Decimal(c.Sla?.AvailabilityTarget).Decimal(c.Sla?.CreditFraction).Decimal(c.Sla?.CreditCapFraction)
                    .Decimal(c.CancellationTerms?.FeeFraction).Int(c.CancellationTerms?.NoticeDays)
                    .Time(c.Cancellation?.EffectiveOn);
                WriteMoney(w, c.Cancellation?.Fee);
                w.Text(c.Cancellation?.Reason).Text(c.LateDelivery.ToString());
                await w.EndRowAsync(ct);
            }
            await w.CompleteAsync(ct);
        }
        // SLA terms beyond target, credit and cap (migration 0009) in a table of their own, written only where they
        // differ from the defaults, so a book without them writes exactly what it did before.
        foreach (var c in contracts)
        {
            if (c.Sla is not { } sla || (sla.Tiers.Count == 0 && sla.Degraded == DegradedPolicy.Available && sla.MaintenanceNoticeDays == SlaTerms.DefaultMaintenanceNoticeDays))
                continue;
            await using var terms = Db.Command(connection, transaction,
                "INSERT INTO contract_sla_terms (contract_id, tiers, degraded, maintenance_notice_days) VALUES (@id, @tiers, @degraded, @notice)");
            Db.Add(terms, "id", c.Id.Value);
            Db.Add(terms, "tiers", sla.Tiers.Count == 0 ? null : SlaTierText.Write(sla.Tiers));
            Db.Add(terms, "degraded", sla.Degraded.ToString());
            Db.Add(terms, "notice", sla.MaintenanceNoticeDays);
            await terms.ExecuteNonQueryAsync(ct);
        }
        await using (var w = await dialect.CreateWriterAsync(connection, transaction, Tables.ContractLines, ct))
        {
            foreach (var c in contracts)
            {
                for (var i = 0; i < c.Lines.Count; i++)
                {
                    var line = c.Lines[i];
                    w.Text(c.Id.Value).Text(line.Id.Value).Int(i);
                    LineColumns(w, line);
                    await w.EndRowAsync(ct);
                }
            }
            await w.CompleteAsync(ct);
        }
        await using (var w = await dialect.CreateWriterAsync(connection, transaction, Tables.LineBlocks, ct))
        {
            foreach (var c in contracts)
            {
                foreach (var line in c.Lines)
                {
                    for (var i = 0; i < line.Pinned.Count; i++)
                    {
                        w.Text(c.Id.Value).Text(line.Id.Value).Int(i).Text(line.Pinned[i].Fabric.Value).Int(line.Pinned[i].Units);
                        await w.EndRowAsync(ct);
                    }
                }
            }
            await w.CompleteAsync(ct);
        }
        await WriteAmendmentsAsync(contracts, ct);
    }

    private async Task WriteAmendmentsAsync(IReadOnlyList<Contract> contracts, CancellationToken ct)
    {
        await using (var w = await dialect.CreateWriterAsync(connection, transaction, Tables.Amendments, ct))
        {
            foreach (var c in contracts)
            {
                for (var i = 0; i < c.Amendments.Count; i++)
                {
                    var a = c.Amendments[i];
                    w.Text(c.Id.Value).Int(i).Int(a.Sequence).Time(a.EffectiveOn)
                        .Text(a.Kind.ToString()).Text(a.Line?.Value).Text(a.Note);
                    await w.EndRowAsync(ct);
                }
            }
            await w.CompleteAsync(ct);
        }
        await using (var w = await dialect.CreateWriterAsync(connection, transaction, Tables.AmendmentLines, ct))
        {
            foreach (var c in contracts)
            {
                for (var i = 0; i < c.Amendments.Count; i++)
                {
                    foreach (var (side, line) in Snapshots(c.Amendments[i]))
                    {
                        w.Text(c.Id.Value).Int(i).Text(side).Text(line.Id.Value);
                        LineColumns(w, line);
                        await w.EndRowAsync(ct);
                    }
                }
            }
            await w.CompleteAsync(ct);
        }
        await using (var w = await dialect.CreateWriterAsync(connection, transaction, Tables.AmendmentLineBlocks, ct))
        {
            foreach (var c in contracts)
            {
                for (var i = 0; i < c.Amendments.Count; i++)
                {
                    foreach (var (side, line) in Snapshots(c.Amendments[i]))
                    {
                        for (var b = 0; b < line.Pinned.Count; b++)
                        {
                            w.Text(c.Id.Value).Int(i).Text(side).Int(b).Text(line.Pinned[b].Fabric.Value).Int(line.Pinned[b].Units);
                            await w.EndRowAsync(ct);
                        }
                    }
                }
            }
            await w.CompleteAsync(ct);
        }
    }

    /// <summary>The line snapshots an amendment carries, with the side each is stored under.</summary>
    internal static IEnumerable<(string Side, ContractLine Line)> Snapshots(Amendment a)
    {
        if (a.Before is { } before) yield return ("before", before);
        if (a.After is { } after) yield return ("after", after);
    }

    private static void LineColumns(RowWriter w, ContractLine line)
    {
        w.Text(line.Platform.Value).Int(line.Gpus.Value).Time(line.Period.Start).Time(line.Period.End);
        WriteMoney(w, line.PricePerGpuHour);
        w.Text(line.Locality.ToString()).Int(line.BlockSize?.Value).Int(line.MinSites)
            .Time(line.Option?.ExerciseBy).Time(line.Option?.ExercisedOn)
            .Text(line.Option?.ExercisedUnder?.Value);
    }

    private static void WriteMoney(RowWriter w, Money? money) => w.Decimal(money?.Amount).Text(money?.Currency.Code);
}
