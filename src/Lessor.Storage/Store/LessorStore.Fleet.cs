using System.Data.Common;
using System.Globalization;
using Lessor.Core.Finance;
using Lessor.Core.Fleet;
using Lessor.Core.Model;

namespace Lessor.Storage.Store;

/// <summary>The fleet as stored: every node (with the delivery that brought it), the open outages and the next ids.</summary>
public sealed record StoredFleet(IReadOnlyList<FleetNodeSpec> Nodes, IReadOnlyDictionary<string, DeliveryId> Deliveries, IReadOnlyList<Outage> OpenOutages, long NextId);

/// <summary>A node's moving parts, written after a batch: state, high-water sequence, readings applied, role and line.</summary>
public sealed record FleetNodeRow(string Serial, NodeState State, DateTime Since, long LastSeq, long Applied, NodeRole Role, LineRef? Line);

/// <summary>One transaction of fleet changes (a batch of reports, or an operator's action), with ids the desk assigned.</summary>
public sealed record FleetWrite(
    IReadOnlyList<FleetNodeRow> Nodes,
    IReadOnlyList<(long Id, NodeTransition Transition)> Transitions,
    IReadOnlyList<(long Id, SwapDecision Swap)> Swaps,
    IReadOnlyList<Outage> Outages,
    DateTime RecordedAt);

/// <summary>A stored swap decision and when it was stored.</summary>
public sealed record StoredSwap(long Id, SwapDecision Swap, DateTime DecidedAt);

/// <summary>A stored transition.</summary>
public sealed record StoredTransition(long Id, NodeTransition Transition, DateTime RecordedAt);

/// <summary>Planned maintenance on a fabric's nodes (all of them when <see cref="Nodes"/> is empty), announced at <see cref="AnnouncedAt"/>.</summary>
public sealed record MaintenanceWindow(string Id, FabricId Fabric, IReadOnlyList<string> Nodes, Period Period, DateTime AnnouncedAt, string Reason);

/// <summary>A delivery's burn-in gate result.</summary>
public sealed record BurnInResult(DeliveryId Delivery, bool Passed, DateTime At, string Evidence);

/// <summary>A stored SLA month: availability figures and the credit written for it (null when none was owed).</summary>
public sealed record StoredSlaMonth(ContractId Contract, YearMonth Month, decimal Availability, decimal CommittedGpuMinutes, decimal DownGpuMinutes, string? CreditId, DateTime ComputedAt);

/// <summary>
/// A contract-month the SLA credit run wrote, when it wrote it, and the credit it wrote (on the invoice of the credit's
/// month), null when none was owed.
/// </summary>
public sealed record StoredSlaCredit(ContractId Contract, YearMonth Month, DateTime WrittenAt, Credit? Credit);

// Fleet operations (issue 14): nodes, transitions, swaps, outages, maintenance, burn-in and SLA months. Every write is
// fenced by the fleet lease (LessorStore.Lease.cs): one writer per store.
public sealed partial class LessorStore
{
    /// <summary>The fleet: nodes in serial order, open outages, and the next free id for transitions, swaps and outages.</summary>
    public Task<StoredFleet> ReadFleetAsync(CancellationToken ct) =>
        ReadAsync(async (connection, transaction, c) =>
        {
            var nodes = new List<FleetNodeSpec>();
            var deliveries = new Dictionary<string, DeliveryId>(StringComparer.Ordinal);
            await using (var q = Db.Command(connection, transaction,
                "SELECT serial, fabric_id, unit, tray, gpus, rack_scale, delivery_id, state, since, last_seq, applied, role, contract_id, line_id FROM fleet_nodes ORDER BY serial"))
            await using (var r = await q.ExecuteReaderAsync(c))
            {
                while (await r.ReadAsync(c))
                {
                    var serial = r.GetString(0);
                    deliveries[serial] = new DeliveryId(r.GetString(6));
                    nodes.Add(new FleetNodeSpec(serial, new FabricId(r.GetString(1)), r.GetInt32(2), r.GetInt32(3), r.GetInt32(4), r.GetInt32(5) != 0,
                        Enum.Parse<NodeState>(r.GetString(7)), _dialect.GetTime(r, 8))
                    {
                        LastSeq = r.GetInt64(9),
                        Applied = r.GetInt64(10),
                        Role = Enum.Parse<NodeRole>(r.GetString(11)),
                        Line = r.IsDBNull(12) ? null : new LineRef(new ContractId(r.GetString(12)), new LineId(r.GetString(13))),
                    });
                }
            }
            var open = await OutagesAsync(connection, transaction, "ended_at IS NULL", null, null, c);
            long next = 1;
            foreach (var table in new[] { "fleet_transitions", "fleet_swaps", "fleet_outages" })
                next = Math.Max(next, await Db.ScalarLongAsync(connection, transaction, $"SELECT COALESCE(MAX(id), 0) + 1 FROM {table}", c));
            return new StoredFleet(nodes, deliveries, open, next);
        }, ct);

    /// <summary>
    /// Adds nodes not stored yet (by serial); the ones already stored are left as they are. Returns how many were added.
    /// Fenced by the fleet lease (<see cref="LeaseLostException"/>: nothing written), like every fleet write.
    /// </summary>
    public Task<int> RegisterNodesAsync(IReadOnlyList<(FleetNodeSpec Node, DeliveryId Delivery)> nodes, LeaseFence fence, CancellationToken ct) =>
        WriteAsync(async (connection, transaction, c) =>
        {
            await FenceAsync(connection, transaction, fence, c);
            var known = new HashSet<string>(StringComparer.Ordinal);
            await using (var q = Db.Command(connection, transaction, "SELECT serial FROM fleet_nodes"))
            await using (var r = await q.ExecuteReaderAsync(c))
                while (await r.ReadAsync(c)) known.Add(r.GetString(0));
            var added = 0;
            var pending = nodes.Where(x => known.Add(x.Node.Serial)).ToList();
            // A first start registers every node of the fleet. PostgreSQL: many rows per statement (100,000 single-row round
            // trips took a minute). SQLite: in process, no round trips, and binding by name scans the statement's
            // parameters, so a wide statement costs the square of its width: a few rows per statement.
            var rowsPerStatement = _dialect is PostgresDialect ? 500 : 8;
            for (var from = 0; from < pending.Count; from += rowsPerStatement)
            {
                var rows = pending.GetRange(from, Math.Min(rowsPerStatement, pending.Count - from));
                var sql = new System.Text.StringBuilder(
                    "INSERT INTO fleet_nodes (serial, fabric_id, unit, tray, gpus, rack_scale, delivery_id, state, since, last_seq, applied, role, contract_id, line_id) VALUES ");
                await using var insert = Db.Command(connection, transaction, "");
                for (var i = 0; i < rows.Count; i++)
                {
                    var (n, delivery) = rows[i];
                    if (i > 0) sql.Append(", ");
                    sql.Append(System.Globalization.CultureInfo.InvariantCulture,
                        $"(@serial{i}, @fabric{i}, @unit{i}, @tray{i}, @gpus{i}, @rack{i}, @delivery{i}, @state{i}, @since{i}, @seq{i}, @applied{i}, @role{i}, @contract{i}, @line{i})");
                    Db.Add(insert, $"serial{i}", n.Serial);
                    Db.Add(insert, $"fabric{i}", n.Fabric.Value);
                    Db.Add(insert, $"unit{i}", n.Unit);
                    Db.Add(insert, $"tray{i}", n.Tray);
                    Db.Add(insert, $"gpus{i}", n.Gpus);
                    Db.Add(insert, $"rack{i}", n.RackScale ? 1 : 0);
                    Db.Add(insert, $"delivery{i}", delivery.Value);
                    Db.Add(insert, $"state{i}", n.State.ToString());
                    Db.Add(insert, $"since{i}", _dialect.TimeValue(n.Since));
                    Db.Add(insert, $"seq{i}", n.LastSeq);
                    Db.Add(insert, $"applied{i}", n.Applied);
                    Db.Add(insert, $"role{i}", n.Role.ToString());
                    Db.Add(insert, $"contract{i}", n.Line?.Contract.Value);
                    Db.Add(insert, $"line{i}", n.Line?.Line.Value);
                }
                // Replicas starting together on an empty fleet all register it: the first one's rows stand.
                sql.Append(" ON CONFLICT (serial) DO NOTHING");
                insert.CommandText = sql.ToString();
                added += await insert.ExecuteNonQueryAsync(c);
            }
            return added;
        }, ct);

    /// <summary>
    /// Writes one batch's changes in one transaction: node rows, transitions, swaps and outages (upserted by id); first
    /// the fence: a writer that lost the fleet lease gets <see cref="LeaseLostException"/> and nothing is written.
    /// </summary>
    public Task WriteFleetAsync(FleetWrite write, LeaseFence fence, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(write);
        ArgumentNullException.ThrowIfNull(fence);
        return WriteAsync(async (connection, transaction, c) =>
        {
            await FenceAsync(connection, transaction, fence, c);
            // One command per statement, its values set per row: compiled once per batch, not once per row.
            if (write.Nodes.Count > 0)
            {
                await using var update = Db.Command(connection, transaction,
                    "UPDATE fleet_nodes SET state = @state, since = @since, last_seq = @seq, applied = @applied, role = @role, contract_id = @contract, line_id = @line WHERE serial = @serial");
                var p = Db.Parameters(update, "state", "since", "seq", "applied", "role", "contract", "line", "serial");
                foreach (var n in write.Nodes)
                {
                    Db.Set(p, n.State.ToString(), _dialect.TimeValue(n.Since), n.LastSeq, n.Applied, n.Role.ToString(), n.Line?.Contract.Value, n.Line?.Line.Value, n.Serial);
                    if (await update.ExecuteNonQueryAsync(c) != 1) throw new InvalidOperationException($"Node '{n.Serial}' is not stored.");
                }
            }
            if (write.Transitions.Count > 0)
            {
                await using var insert = Db.Command(connection, transaction,
                    "INSERT INTO fleet_transitions (id, serial, from_state, to_state, at, cause, recorded_at) VALUES (@id, @serial, @from, @to, @at, @cause, @recorded)");
                var p = Db.Parameters(insert, "id", "serial", "from", "to", "at", "cause", "recorded");
                foreach (var (id, t) in write.Transitions)
                {
                    Db.Set(p, id, t.Node, t.From.ToString(), t.To.ToString(), _dialect.TimeValue(t.At), t.Cause, _dialect.TimeValue(write.RecordedAt));
                    await insert.ExecuteNonQueryAsync(c);
                }
            }
            if (write.Swaps.Count > 0)
            {
                await using var insert = Db.Command(connection, transaction,
                    "INSERT INTO fleet_swaps (id, contract_id, line_id, failed, spare, at, cause, decided_at) VALUES (@id, @contract, @line, @failed, @spare, @at, @cause, @decided)");
                var p = Db.Parameters(insert, "id", "contract", "line", "failed", "spare", "at", "cause", "decided");
                foreach (var (id, s) in write.Swaps)
                {
                    Db.Set(p, id, s.Line.Contract.Value, s.Line.Line.Value, s.Failed, s.Spare, _dialect.TimeValue(s.At), s.Cause, _dialect.TimeValue(write.RecordedAt));
                    await insert.ExecuteNonQueryAsync(c);
                }
            }
            if (write.Outages.Count > 0)
            {
                await using var upsert = Db.Command(connection, transaction,
                    "INSERT INTO fleet_outages (id, contract_id, line_id, serial, gpus, degraded, started_at, ended_at, cause) " +
                    "VALUES (@id, @contract, @line, @serial, @gpus, @degraded, @start, @end, @cause) ON CONFLICT (id) DO UPDATE SET ended_at = excluded.ended_at");
                var p = Db.Parameters(upsert, "id", "contract", "line", "serial", "gpus", "degraded", "start", "end", "cause");
                foreach (var o in write.Outages)
                {
                    Db.Set(p, o.Id, o.Line.Contract.Value, o.Line.Line.Value, o.Node, o.Gpus, o.Degraded ? 1 : 0, _dialect.TimeValue(o.Start),
                        o.End is { } e ? _dialect.TimeValue(e) : null, o.Cause);
                    await upsert.ExecuteNonQueryAsync(c);
                }
            }
            return true;
        }, ct);
    }

    /// <summary>Transitions, newest first, of one node or all; paged.</summary>
    public Task<IReadOnlyList<StoredTransition>> ListTransitionsAsync(string? serial, int skip, int take, CancellationToken ct) =>
        ReadAsync<IReadOnlyList<StoredTransition>>(async (connection, transaction, c) =>
        {
            await using var q = Db.Command(connection, transaction,
                "SELECT id, serial, from_state, to_state, at, cause, recorded_at FROM fleet_transitions " +
                (serial is null ? "" : "WHERE serial = @serial ") + "ORDER BY id DESC LIMIT @take OFFSET @skip");
            if (serial is not null) Db.Add(q, "serial", serial);
            Db.Add(q, "take", take);
            Db.Add(q, "skip", skip);
            await using var r = await q.ExecuteReaderAsync(c);
            var list = new List<StoredTransition>();
            while (await r.ReadAsync(c))
                list.Add(new StoredTransition(r.GetInt64(0), new NodeTransition(r.GetString(1), Enum.Parse<NodeState>(r.GetString(2)), Enum.Parse<NodeState>(r.GetString(3)),
                    _dialect.GetTime(r, 4), r.GetString(5)), _dialect.GetTime(r, 6)));
            return list;
        }, ct);

    /// <summary>Swap decisions, newest first; paged.</summary>
    public Task<IReadOnlyList<StoredSwap>> ListSwapsAsync(int skip, int take, CancellationToken ct) =>
        ReadAsync<IReadOnlyList<StoredSwap>>(async (connection, transaction, c) =>
        {
            await using var q = Db.Command(connection, transaction,
                "SELECT id, contract_id, line_id, failed, spare, at, cause, decided_at FROM fleet_swaps ORDER BY id DESC LIMIT @take OFFSET @skip");
            Db.Add(q, "take", take);
            Db.Add(q, "skip", skip);
            await using var r = await q.ExecuteReaderAsync(c);
            var list = new List<StoredSwap>();
            while (await r.ReadAsync(c))
                list.Add(new StoredSwap(r.GetInt64(0), new SwapDecision(new LineRef(new ContractId(r.GetString(1)), new LineId(r.GetString(2))), r.GetString(3),
                    r.IsDBNull(4) ? null : r.GetString(4), _dialect.GetTime(r, 5), r.GetString(6)), _dialect.GetTime(r, 7)));
            return list;
        }, ct);

    /// <summary>Outages that overlap [from, to), in id order.</summary>
    public Task<IReadOnlyList<Outage>> ListOutagesAsync(Period range, CancellationToken ct) =>
        ReadAsync(async (connection, transaction, c) =>
            await OutagesAsync(connection, transaction, "started_at < @to AND (ended_at IS NULL OR ended_at > @from)", range.Start, range.End, c), ct);

    private async Task<IReadOnlyList<Outage>> OutagesAsync(DbConnection connection, DbTransaction transaction, string where, DateTime? from, DateTime? to, CancellationToken c)
    {
        await using var q = Db.Command(connection, transaction,
            $"SELECT id, contract_id, line_id, serial, gpus, degraded, started_at, ended_at, cause FROM fleet_outages WHERE {where} ORDER BY id");
        if (from is { } f) Db.Add(q, "from", _dialect.TimeValue(f));
        if (to is { } t) Db.Add(q, "to", _dialect.TimeValue(t));
        await using var r = await q.ExecuteReaderAsync(c);
        var list = new List<Outage>();
        while (await r.ReadAsync(c))
            list.Add(new Outage(r.GetInt64(0), new LineRef(new ContractId(r.GetString(1)), new LineId(r.GetString(2))), r.GetString(3), r.GetInt32(4),
                r.GetInt32(5) != 0, _dialect.GetTime(r, 6), _dialect.GetTimeOrNull(r, 7), r.GetString(8)));
        return list;
    }

    /// <summary>Records a maintenance window; the same id twice is a no-op. Returns whether it was written.</summary>
    public Task<bool> AddMaintenanceAsync(MaintenanceWindow window, LeaseFence fence, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(window);
        ArgumentNullException.ThrowIfNull(fence);
        return WriteAsync(async (connection, transaction, c) =>
        {
            await FenceAsync(connection, transaction, fence, c);
            await using var insert = Db.Command(connection, transaction,
                "INSERT INTO fleet_maintenance (id, fabric_id, nodes, starts_at, ends_at, announced_at, reason) VALUES (@id, @fabric, @nodes, @start, @end, @announced, @reason) ON CONFLICT (id) DO NOTHING");
            Db.Add(insert, "id", window.Id);
            Db.Add(insert, "fabric", window.Fabric.Value);
            Db.Add(insert, "nodes", window.Nodes.Count == 0 ? null : string.Join(',', window.Nodes));
            Db.Add(insert, "start", _dialect.TimeValue(window.Period.Start));
            Db.Add(insert, "end", _dialect.TimeValue(window.Period.End));
            Db.Add(insert, "announced", _dialect.TimeValue(window.AnnouncedAt));
            Db.Add(insert, "reason", window.Reason);
            return await insert.ExecuteNonQueryAsync(c) == 1;
        }, ct);
    }

    /// <summary>Maintenance windows overlapping <paramref name="range"/>, by start.</summary>
    public Task<IReadOnlyList<MaintenanceWindow>> ListMaintenanceAsync(Period range, CancellationToken ct) =>
        ReadAsync<IReadOnlyList<MaintenanceWindow>>(async (connection, transaction, c) =>
        {
            await using var q = Db.Command(connection, transaction,
                "SELECT id, fabric_id, nodes, starts_at, ends_at, announced_at, reason FROM fleet_maintenance WHERE starts_at < @to AND ends_at > @from ORDER BY starts_at, id");
            Db.Add(q, "from", _dialect.TimeValue(range.Start));
            Db.Add(q, "to", _dialect.TimeValue(range.End));
            await using var r = await q.ExecuteReaderAsync(c);
            var list = new List<MaintenanceWindow>();
            while (await r.ReadAsync(c))
                list.Add(new MaintenanceWindow(r.GetString(0), new FabricId(r.GetString(1)), r.IsDBNull(2) ? [] : r.GetString(2).Split(','),
                    new Period(_dialect.GetTime(r, 3), _dialect.GetTime(r, 4)), _dialect.GetTime(r, 5), r.GetString(6)));
            return list;
        }, ct);

    /// <summary>Records a delivery's burn-in result; a delivery has one (a second is refused: returns false).</summary>
    public Task<bool> RecordBurnInAsync(BurnInResult result, LeaseFence fence, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(fence);
        return WriteAsync(async (connection, transaction, c) =>
        {
            await FenceAsync(connection, transaction, fence, c);
            await using var insert = Db.Command(connection, transaction,
                "INSERT INTO fleet_burn_in (delivery_id, passed, at, evidence) VALUES (@delivery, @passed, @at, @evidence) ON CONFLICT (delivery_id) DO NOTHING");
            Db.Add(insert, "delivery", result.Delivery.Value);
            Db.Add(insert, "passed", result.Passed ? 1 : 0);
            Db.Add(insert, "at", _dialect.TimeValue(result.At));
            Db.Add(insert, "evidence", result.Evidence);
            return await insert.ExecuteNonQueryAsync(c) == 1;
        }, ct);
    }

    /// <summary>The burn-in result of a delivery, or null.</summary>
    public Task<BurnInResult?> FindBurnInAsync(DeliveryId delivery, CancellationToken ct) =>
        ReadAsync(async (connection, transaction, c) =>
        {
            await using var q = Db.Command(connection, transaction, "SELECT passed, at, evidence FROM fleet_burn_in WHERE delivery_id = @delivery");
            Db.Add(q, "delivery", delivery.Value);
            await using var r = await q.ExecuteReaderAsync(c);
            return await r.ReadAsync(c) ? new BurnInResult(delivery, r.GetInt32(0) != 0, _dialect.GetTime(r, 1), r.GetString(2)) : null;
        }, ct);

    /// <summary>
    /// Writes a contract-month's SLA result once: its figures, its evidence and, when a credit is owed, the credit (in
    /// the credits table, so the invoice of <paramref name="credit"/>'s month carries it), in one transaction. A month
    /// already written is left as it is: returns false.
    /// </summary>
    public Task<bool> WriteSlaMonthAsync(SlaMonth month, string? creditId, Credit? credit, DateTime computedAt, LeaseFence fence, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(month);
        ArgumentNullException.ThrowIfNull(fence);
        return WriteAsync(async (connection, transaction, c) =>
        {
            await FenceAsync(connection, transaction, fence, c);
            await using (var exists = Db.Command(connection, transaction, "SELECT COUNT(*) FROM sla_months WHERE contract_id = @contract AND month = @month"))
            {
                Db.Add(exists, "contract", month.Contract.Value);
                Db.Add(exists, "month", month.Month.ToString());
                if (Convert.ToInt64(await exists.ExecuteScalarAsync(c), CultureInfo.InvariantCulture) > 0) return false;
            }
            if (credit is not null && creditId is not null)
            {
                await using var insert = Db.Command(connection, transaction,
                    "INSERT INTO credits (id, customer_id, month, amount, currency, reason, contract_id) VALUES (@id, @customer, @month, @amount, @currency, @reason, @contract)");
                Db.Add(insert, "id", creditId);
                Db.Add(insert, "customer", credit.Customer.Value);
                Db.Add(insert, "month", credit.Month.ToString());
                Db.Add(insert, "amount", _dialect.DecimalValue(credit.Amount.Amount));
                Db.Add(insert, "currency", credit.Amount.Currency.Code);
                Db.Add(insert, "reason", credit.Reason);
                Db.Add(insert, "contract", credit.Contract?.Value);
                await insert.ExecuteNonQueryAsync(c);
            }
            await using (var insert = Db.Command(connection, transaction,
                "INSERT INTO sla_months (contract_id, month, availability, committed_gpu_minutes, down_gpu_minutes, credit_id, computed_at) " +
                "VALUES (@contract, @month, @availability, @committed, @down, @credit, @at)"))
            {
                Db.Add(insert, "contract", month.Contract.Value);
                Db.Add(insert, "month", month.Month.ToString());
                Db.Add(insert, "availability", _dialect.DecimalValue(month.Availability));
                Db.Add(insert, "committed", _dialect.DecimalValue(month.CommittedGpuMinutes));
                Db.Add(insert, "down", _dialect.DecimalValue(month.DownGpuMinutes));
                Db.Add(insert, "credit", credit is null ? null : creditId);
                Db.Add(insert, "at", _dialect.TimeValue(computedAt));
                await insert.ExecuteNonQueryAsync(c);
            }
            for (var i = 0; i < month.Evidence.Count; i++)
            {
                var e = month.Evidence[i];
                await using var insert = Db.Command(connection, transaction,
                    "INSERT INTO sla_evidence (contract_id, month, ordinal, serial, line_id, gpus, minutes, degraded, counted_down, cause, started_at, ended_at) " +
                    "VALUES (@contract, @month, @ordinal, @serial, @line, @gpus, @minutes, @degraded, @down, @cause, @start, @end)");
                Db.Add(insert, "contract", month.Contract.Value);
                Db.Add(insert, "month", month.Month.ToString());
                Db.Add(insert, "ordinal", i);
                Db.Add(insert, "serial", e.Node);
                Db.Add(insert, "line", e.Line.Line.Value);
                Db.Add(insert, "gpus", e.Gpus);
                Db.Add(insert, "minutes", _dialect.DecimalValue(e.Minutes));
                Db.Add(insert, "degraded", e.Degraded ? 1 : 0);
                Db.Add(insert, "down", e.CountedDown ? 1 : 0);
                Db.Add(insert, "cause", e.Cause);
                Db.Add(insert, "start", _dialect.TimeValue(e.Start));
                Db.Add(insert, "end", _dialect.TimeValue(e.End));
                await insert.ExecuteNonQueryAsync(c);
            }
            return true;
        }, ct);
    }

    /// <summary>
    /// The SLA months written for the months <paramref name="from"/> to <paramref name="to"/> (inclusive), each with the
    /// credit the run wrote for it (null when none was owed), by month and contract: what finance reports as written credits.
    /// </summary>
    public Task<IReadOnlyList<StoredSlaCredit>> ListSlaCreditsAsync(YearMonth from, YearMonth to, CancellationToken ct) =>
        ReadAsync<IReadOnlyList<StoredSlaCredit>>(async (connection, transaction, c) =>
        {
            // Months are stored as YYYY-MM text, so their text order is their time order.
            await using var q = Db.Command(connection, transaction,
                "SELECT s.contract_id, s.month, s.computed_at, c.customer_id, c.month, c.amount, c.currency, c.reason FROM sla_months s " +
                "LEFT JOIN credits c ON c.id = s.credit_id WHERE s.month >= @first AND s.month <= @last ORDER BY s.month, s.contract_id");
            Db.Add(q, "first", from.ToString());
            Db.Add(q, "last", to.ToString());
            await using var r = await q.ExecuteReaderAsync(c);
            var list = new List<StoredSlaCredit>();
            while (await r.ReadAsync(c))
            {
                var contract = new ContractId(r.GetString(0));
                var credit = r.IsDBNull(3)
                    ? null
                    : new Credit(new CustomerId(r.GetString(3)), YearMonth.Parse(r.GetString(4)), new Money(_dialect.GetDecimal(r, 5), new Currency(r.GetString(6))), r.GetString(7))
                    {
                        Contract = contract,
                    };
                list.Add(new StoredSlaCredit(contract, YearMonth.Parse(r.GetString(1)), _dialect.GetTime(r, 2), credit));
            }
            return list;
        }, ct);

    /// <summary>The SLA months written for <paramref name="month"/>, by contract.</summary>
    public Task<IReadOnlyList<StoredSlaMonth>> ListSlaMonthsAsync(YearMonth month, CancellationToken ct) =>
        ReadAsync<IReadOnlyList<StoredSlaMonth>>(async (connection, transaction, c) =>
        {
            await using var q = Db.Command(connection, transaction,
                "SELECT contract_id, availability, committed_gpu_minutes, down_gpu_minutes, credit_id, computed_at FROM sla_months WHERE month = @month ORDER BY contract_id");
            Db.Add(q, "month", month.ToString());
            await using var r = await q.ExecuteReaderAsync(c);
            var list = new List<StoredSlaMonth>();
            while (await r.ReadAsync(c))
                list.Add(new StoredSlaMonth(new ContractId(r.GetString(0)), month, _dialect.GetDecimal(r, 1), _dialect.GetDecimal(r, 2), _dialect.GetDecimal(r, 3),
                    r.IsDBNull(4) ? null : r.GetString(4), _dialect.GetTime(r, 5)));
            return list;
        }, ct);
}
