using System.Globalization;
using Lessor.Core.Finance;
using Lessor.Core.Model;

namespace Lessor.Storage.Store;

/// <summary>
/// What a contract write that takes units inside the claim guard window must leave to on-demand claims: per fabric, the
/// units [0, n) claims may hold once the write is in. The write is refused when a claim holds a unit at or past n.
/// </summary>
public sealed record ClaimFence(IReadOnlyDictionary<FabricId, int> ClaimableUnits);

/// <summary>How a guarded contract write ended.</summary>
public enum ContractWriteStatus
{
    /// <summary>Written; the store revision moved by one.</summary>
    Written,

    /// <summary>Another writer moved the store since the caller's revision: nothing written.</summary>
    StoreMoved,

    /// <summary>Claims made since the caller looked hold units the write would take inside the guard window: nothing written.</summary>
    ClaimsInTheWay,
}

/// <summary>The outcome of a guarded contract write and the store revision after it (the expected one when nothing was written).</summary>
public sealed record ContractWriteResult(ContractWriteStatus Status, long Revision)
{
    public bool Written => Status == ContractWriteStatus.Written;
}

/// <summary>An issued invoice as stored: an immutable document in the caller's serialization.</summary>
public sealed record IssuedInvoice(string Number, YearMonth Month, CustomerId Customer, string Document);

// The deal desk's and billing's writes: each one transaction, guarded by the store's revision.
public sealed partial class LessorStore
{
    /// <summary>The whole model and the revision it reflects, read from one snapshot.</summary>
    public Task<(Scenario Scenario, long Revision)> ExportWithRevisionAsync(CancellationToken ct) =>
        ReadAsync(async (connection, transaction, c) =>
        {
            var revision = await Db.ScalarLongAsync(connection, transaction, "SELECT revision FROM store_state WHERE id = 1", c);
            var scenario = await new ScenarioReader(_dialect, connection, transaction).ReadScenarioAsync(c);
            return (scenario, revision);
        }, ct);

    /// <summary>
    /// Stores a new or changed contract only if the store is still at <paramref name="expectedRevision"/> (the
    /// revision the caller's ledger reflects), and records the idempotency key with it. Returns the new revision,
    /// or null when another writer got there first (nothing is written; the caller reloads and decides again).
    /// </summary>
    public async Task<long?> WriteContractAsync(Contract contract, bool isNew, IdempotencyKey? idempotencyKey, long expectedRevision, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(contract);
        var result = await WriteContractsAsync([(contract, idempotencyKey)], expectedRevision, null, ct, replace: !isNew);
        return result.Written ? result.Revision : null;
    }

    /// <summary>As <see cref="WriteContractAsync(Contract, bool, IdempotencyKey?, long, CancellationToken)"/>, also refused when claims stand in the fence's way.</summary>
    public Task<ContractWriteResult> WriteContractAsync(Contract contract, bool isNew, IdempotencyKey? idempotencyKey, long expectedRevision, ClaimFence? fence, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(contract);
        return WriteContractsAsync([(contract, idempotencyKey)], expectedRevision, fence, ct, replace: !isNew);
    }

    /// <summary>
    /// Stores several new contracts in one transaction (a group commit of signs) under one revision check: all of
    /// them, or none when another writer got there first (then null).
    /// </summary>
    public async Task<long?> WriteContractsAsync(IReadOnlyList<(Contract Contract, IdempotencyKey? IdempotencyKey)> contracts, long expectedRevision, CancellationToken ct)
    {
        var result = await WriteContractsAsync(contracts, expectedRevision, null, ct, replace: false);
        return result.Written ? result.Revision : null;
    }

    /// <summary>
    /// Replaces changed contracts (a re-placement moves lines: their pinned blocks change) in one transaction under one
    /// revision check, fenced like a sign when a fence is given: all of them, or none.
    /// </summary>
    public Task<ContractWriteResult> ReplaceContractsAsync(IReadOnlyList<Contract> contracts, long expectedRevision, ClaimFence? fence, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(contracts);
        return WriteContractsAsync([.. contracts.Select(c => (c, (IdempotencyKey?)null))], expectedRevision, fence, ct, replace: true);
    }

    /// <summary>
    /// As <see cref="WriteContractsAsync(IReadOnlyList{ValueTuple{Contract, IdempotencyKey}}, long, CancellationToken)"/>, and, with a
    /// fence, serialized with claim writes: the claims are read under a lock on the claims revision, the write is
    /// refused when one holds a unit the fence leaves out, and otherwise the claims revision moves too, so a claim
    /// write that read the store before this one commits fails its guard and reloads.
    /// </summary>
    public Task<ContractWriteResult> WriteContractsAsync(IReadOnlyList<(Contract Contract, IdempotencyKey? IdempotencyKey)> contracts, long expectedRevision, ClaimFence? fence, CancellationToken ct) =>
        WriteContractsAsync(contracts, expectedRevision, fence, ct, replace: false);

    /// <summary>
    /// A sign that moves lines: the changed contracts replaced and the new one added in one transaction under one
    /// revision check (and the fence, when given): all of it, or nothing.
    /// </summary>
    public Task<ContractWriteResult> WriteBookChangeAsync(
        IReadOnlyList<Contract> replaced, (Contract Contract, IdempotencyKey? IdempotencyKey) added, long expectedRevision, ClaimFence? fence, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(replaced);
        return WriteContractsAsync([added], expectedRevision, fence, ct, replace: false, replacedFirst: replaced);
    }

    private Task<ContractWriteResult> WriteContractsAsync(
        IReadOnlyList<(Contract Contract, IdempotencyKey? IdempotencyKey)> contracts, long expectedRevision, ClaimFence? fence, CancellationToken ct, bool replace,
        IReadOnlyList<Contract>? replacedFirst = null) =>
        WriteAsync(async (connection, transaction, c) =>
        {
            // Reads first: a refusal must leave nothing written (the transaction commits whatever ran before returning).
            var fenced = fence is { ClaimableUnits.Count: > 0 };
            if (fenced && !await FenceHoldsAsync(connection, transaction, fence!, c))
                return new ContractWriteResult(ContractWriteStatus.ClaimsInTheWay, expectedRevision);
            await using (var bump = Db.Command(connection, transaction, "UPDATE store_state SET revision = revision + 1 WHERE id = 1 AND revision = @expected"))
            {
                Db.Add(bump, "expected", expectedRevision);
                if (await bump.ExecuteNonQueryAsync(c) == 0) return new ContractWriteResult(ContractWriteStatus.StoreMoved, expectedRevision);
            }
            if (fenced)
            {
                await using var claims = Db.Command(connection, transaction, "UPDATE claim_state SET revision = revision + 1 WHERE id = 1");
                await claims.ExecuteNonQueryAsync(c);
            }
            var writer = new ScenarioWriter(_dialect, connection, transaction);
            foreach (var changed in replacedFirst ?? []) await writer.WriteContractAsync(changed, replace: true, c);
            foreach (var (contract, idempotencyKey) in contracts)
            {
                await writer.WriteContractAsync(contract, replace, c);
                if (idempotencyKey is null) continue;
                await using var key = Db.Command(connection, transaction,
                    "INSERT INTO idempotency_keys (scope, key, request_sha256, contract_id, created_revision) VALUES (@scope, @key, @sha, @contract, @revision)");
                Db.Add(key, "scope", idempotencyKey.Scope);
                Db.Add(key, "key", idempotencyKey.Key);
                Db.Add(key, "sha", idempotencyKey.RequestSha256);
                Db.Add(key, "contract", contract.Id.Value);
                Db.Add(key, "revision", expectedRevision + 1);
                await key.ExecuteNonQueryAsync(c);
            }
            await AppendChangeAsync(connection, transaction, expectedRevision + 1, ChangeKind.Contracts,
                (replacedFirst ?? []).Select(x => x.Id.Value).Concat(contracts.Select(x => x.Contract.Id.Value)), [], c);
            return new ContractWriteResult(ContractWriteStatus.Written, expectedRevision + 1);
        }, ct);

    /// <summary>
    /// The contract a sign with this key of this caller (scope) created, with the digest of that sign's request, if any.
    /// The same key of another caller is another key: it is never found here.
    /// </summary>
    public Task<IdempotentContract?> FindIdempotentContractAsync(IdempotencyKey idempotencyKey, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(idempotencyKey);
        return ReadAsync<IdempotentContract?>(async (connection, transaction, c) =>
        {
            await using var find = Db.Command(connection, transaction, "SELECT contract_id, request_sha256 FROM idempotency_keys WHERE scope = @scope AND key = @key");
            Db.Add(find, "scope", idempotencyKey.Scope);
            Db.Add(find, "key", idempotencyKey.Key);
            await using var r = await find.ExecuteReaderAsync(c);
            return await r.ReadAsync(c)
                ? new IdempotentContract(new ContractId(r.GetString(0)), idempotencyKey with { RequestSha256 = r.GetString(1) })
                : null;
        }, ct);
    }

    /// <summary>Credits to apply on the invoices of one month, in the order they were recorded.</summary>
    public Task<IReadOnlyList<Credit>> ListCreditsAsync(YearMonth month, CancellationToken ct) =>
        ReadAsync<IReadOnlyList<Credit>>(async (connection, transaction, c) =>
        {
            await using var query = Db.Command(connection, transaction,
                "SELECT customer_id, amount, currency, reason, contract_id FROM credits WHERE month = @month ORDER BY id");
            Db.Add(query, "month", month.ToString());
            await using var r = await query.ExecuteReaderAsync(c);
            var credits = new List<Credit>();
            while (await r.ReadAsync(c))
            {
                credits.Add(new Credit(new CustomerId(r.GetString(0)), month, new Money(_dialect.GetDecimal(r, 1), new Currency(r.GetString(2))), r.GetString(3))
                {
                    Contract = r.IsDBNull(4) ? null : new ContractId(r.GetString(4)),
                });
            }
            return credits;
        }, ct);

    /// <summary>Records a credit under a caller-chosen id; recording the same id twice is a no-op (idempotent).</summary>
    public Task AddCreditAsync(string id, Credit credit, CancellationToken ct) =>
        WriteAsync(async (connection, transaction, c) =>
        {
            await using var exists = Db.Command(connection, transaction, "SELECT COUNT(*) FROM credits WHERE id = @id");
            Db.Add(exists, "id", id);
            if (Convert.ToInt64(await exists.ExecuteScalarAsync(c), CultureInfo.InvariantCulture) > 0) return false;
            await using var insert = Db.Command(connection, transaction,
                "INSERT INTO credits (id, customer_id, month, amount, currency, reason, contract_id) VALUES (@id, @customer, @month, @amount, @currency, @reason, @contract)");
            Db.Add(insert, "id", id);
            Db.Add(insert, "customer", credit.Customer.Value);
            Db.Add(insert, "month", credit.Month.ToString());
            Db.Add(insert, "amount", _dialect.DecimalValue(credit.Amount.Amount));
            Db.Add(insert, "currency", credit.Amount.Currency.Code);
            Db.Add(insert, "reason", credit.Reason);
            Db.Add(insert, "contract", credit.Contract?.Value);
            await insert.ExecuteNonQueryAsync(c);
            return true;
        }, ct);

    /// <summary>
    /// Issues a month's invoices once. If the month was already issued the stored documents come back unchanged
    /// and <c>Fresh</c> is false; issuing is serialized with every other write, so two runs never both issue.
    /// </summary>
    public Task<(IReadOnlyList<IssuedInvoice> Issued, bool Fresh)> IssueInvoicesAsync(YearMonth month, IReadOnlyList<IssuedInvoice> invoices, CancellationToken ct) =>
        WriteAsync<(IReadOnlyList<IssuedInvoice>, bool)>(async (connection, transaction, c) =>
        {
            var existing = await IssuedAsync(connection, transaction, month, c);
            if (existing.Count > 0) return (existing, false);
            await using (var bump = Db.Command(connection, transaction, "UPDATE store_state SET revision = revision + 1 WHERE id = 1"))
            {
                await bump.ExecuteNonQueryAsync(c);
            }
            var revision = await Db.ScalarLongAsync(connection, transaction, "SELECT revision FROM store_state WHERE id = 1", c);
            await AppendChangeAsync(connection, transaction, revision, ChangeKind.Invoices, [], [], c);
            foreach (var invoice in invoices)
            {
                await using var insert = Db.Command(connection, transaction,
                    "INSERT INTO issued_invoices (number, month, customer_id, document) VALUES (@number, @month, @customer, @document)");
                Db.Add(insert, "number", invoice.Number);
                Db.Add(insert, "month", month.ToString());
                Db.Add(insert, "customer", invoice.Customer.Value);
                Db.Add(insert, "document", invoice.Document);
                await insert.ExecuteNonQueryAsync(c);
            }
            return (invoices, true);
        }, ct);

    /// <summary>The invoices issued for a month, by number; empty when the month was not issued.</summary>
    public Task<IReadOnlyList<IssuedInvoice>> IssuedInvoicesAsync(YearMonth month, CancellationToken ct) =>
        ReadAsync((connection, transaction, c) => IssuedAsync(connection, transaction, month, c), ct);

    private static async Task<IReadOnlyList<IssuedInvoice>> IssuedAsync(System.Data.Common.DbConnection connection, System.Data.Common.DbTransaction transaction, YearMonth month, CancellationToken ct)
    {
        await using var query = Db.Command(connection, transaction, "SELECT number, customer_id, document FROM issued_invoices WHERE month = @month ORDER BY number");
        Db.Add(query, "month", month.ToString());
        await using var r = await query.ExecuteReaderAsync(ct);
        var issued = new List<IssuedInvoice>();
        while (await r.ReadAsync(ct)) issued.Add(new IssuedInvoice(r.GetString(0), month, new CustomerId(r.GetString(1)), r.GetString(2)));
        return issued;
    }
}

// Operations' writes on deliveries.
public sealed partial class LessorStore
{
    /// <summary>
    /// Replaces a delivery's dates, status and units if the store is still at <paramref name="expectedRevision"/>.
    /// Returns the new revision, or null when another writer got there first (nothing written).
    /// </summary>
    public Task<long?> WriteDeliveryAsync(Delivery delivery, long expectedRevision, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(delivery);
        return WriteAsync<long?>(async (connection, transaction, c) =>
        {
            await using (var bump = Db.Command(connection, transaction, "UPDATE store_state SET revision = revision + 1 WHERE id = 1 AND revision = @expected"))
            {
                Db.Add(bump, "expected", expectedRevision);
                if (await bump.ExecuteNonQueryAsync(c) == 0) return null;
            }
            await using var update = Db.Command(connection, transaction,
                "UPDATE deliveries SET units = @units, status = @status, ordered_on = @ordered, acceptance_date = @accepted, original_acceptance_date = @original WHERE id = @id");
            Db.Add(update, "units", delivery.Units);
            Db.Add(update, "status", delivery.Status.ToString());
            Db.Add(update, "ordered", delivery.OrderedOn is { } o ? _dialect.TimeValue(o) : null);
            Db.Add(update, "accepted", _dialect.TimeValue(delivery.AcceptanceDate));
            Db.Add(update, "original", delivery.OriginalAcceptanceDate is { } d ? _dialect.TimeValue(d) : null);
            Db.Add(update, "id", delivery.Id.Value);
            if (await update.ExecuteNonQueryAsync(c) != 1) throw new InvalidOperationException($"Delivery '{delivery.Id}' is not stored.");
            await AppendChangeAsync(connection, transaction, expectedRevision + 1, ChangeKind.Delivery, [], [delivery.Id.Value], c);
            return expectedRevision + 1;
        }, ct);
    }
}

// Which months have been invoiced.
public sealed partial class LessorStore
{
    /// <summary>Every month with issued invoices, oldest first.</summary>
    public Task<IReadOnlyList<YearMonth>> IssuedMonthsAsync(CancellationToken ct) =>
        ReadAsync<IReadOnlyList<YearMonth>>(async (connection, transaction, c) =>
        {
            await using var query = Db.Command(connection, transaction, "SELECT DISTINCT month FROM issued_invoices ORDER BY month");
            await using var r = await query.ExecuteReaderAsync(c);
            var months = new List<YearMonth>();
            while (await r.ReadAsync(c))
            {
                if (YearMonth.TryParse(r.GetString(0), out var m)) months.Add(m);
            }
            return months;
        }, ct);
}
