using System.Text.Json;
using Lessor.Core.Finance;
using Lessor.Core.Fleet;
using Lessor.Core.Model;
using Lessor.Server.Access;
using Lessor.Server.Desk;
using Lessor.Server.Fleet;
using Lessor.Storage.Store;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace Lessor.Server.Api;

/// <summary>The fleet over HTTP (docs/fleet.md): health report batches, nodes and their history, operator actions, spares, lines short, maintenance.</summary>
public static class FleetApi
{
    /// <summary>The most reports one batch may carry.</summary>
    public const int MaxBatch = 10_000;

    /// <summary>What became of one item of a batch: its index, status and, when refused, the field and the reason.</summary>
    public sealed record ReportOutcome(int Index, string Status, string? Field, string? Reason);

    /// <summary>A batch's answer: counts by status and one outcome per item, in order.</summary>
    public sealed record BatchView(int Applied, int Duplicates, int Refused, IReadOnlyList<ReportOutcome> Items);

    /// <summary>A transition as the API shows it.</summary>
    public sealed record TransitionView(long Id, string Node, string From, string To, DateTime At, string Cause, DateTime RecordedAt);

    /// <summary>A swap decision: the spare that took the failed node's place on a line, or none (the line went short).</summary>
    public sealed record SwapView(long Id, string Contract, string Line, string Failed, string? Spare, DateTime At, string Cause, DateTime DecidedAt);

    /// <summary>A node with its latest transitions.</summary>
    public sealed record NodeDetail(NodeView Node, IReadOnlyList<TransitionView> History);

    /// <summary>An operator's action: start_repair, rma, return_to_service or retire, optionally at an instant, with a note.</summary>
    public sealed record ActionBody(string? Action, DateTime? At, string? Note);

    /// <summary>The answer to an action: the node after it and any swaps it caused.</summary>
    public sealed record ActionView(NodeView Node, IReadOnlyList<SwapDecision> Swaps);

    /// <summary>A burn-in gate result for a delivery.</summary>
    public sealed record BurnInBody(bool? Passed, string? Evidence);

    /// <summary>Maintenance to announce: on a fabric's nodes (all when none are named), over [start, end).</summary>
    public sealed record MaintenanceBody(string? Id, string? Fabric, IReadOnlyList<string>? Nodes, DateTime? Start, DateTime? End, string? Reason);

    /// <summary>A maintenance window as the API shows it.</summary>
    public sealed record MaintenanceView(string Id, string Fabric, IReadOnlyList<string> Nodes, DateTime Start, DateTime End, DateTime AnnouncedAt, string Reason);

    /// <summary>Spare pools and the swaps decided so far.</summary>
    public sealed record SparesView(IReadOnlyList<SparePoolView> Fabrics, IReadOnlyList<SwapView> RecentSwaps);

    public static IEndpointRouteBuilder MapFleetApi(this IEndpointRouteBuilder app)
    {
        var read = app.MapGroup("/api/v1/fleet").RequireAuthorization(Policies.FleetRead);
        read.MapGet("/nodes", Nodes);
        read.MapGet("/nodes/{serial}", Node);
        read.MapGet("/events", Events);
        read.MapGet("/spares", Spares);
        read.MapGet("/at-risk", AtRisk);
        read.MapGet("/maintenance", ListMaintenance);
        // A replica without the fleet lease answers every fleet write 503 fleet-leader-elsewhere (FleetLeaseProblems).
        var write = app.MapGroup("/api/v1/fleet").RequireAuthorization(Policies.FleetWrite)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        write.MapPost("/reports", Reports);
        write.MapPost("/nodes/{serial}/actions", Act);
        write.MapPost("/deliveries/{id}/burn-in", BurnIn);
        write.MapPost("/maintenance", Announce);
        return app;
    }

    /// <summary>
    /// Applies a batch of health reports (a JSON array, docs/fleet-events.md) in order, in one store transaction. Each item
    /// gets an outcome: applied, duplicate (already applied: nothing changes), or refused (malformed, unknown node, from the
    /// future) with the field and the reason. A refused item never fails the batch.
    /// </summary>
    private static async Task<Results<Ok<BatchView>, ValidationProblem>> Reports(FleetDesk desk, JsonElement body, CancellationToken ct)
    {
        if (body.ValueKind != JsonValueKind.Array)
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["body"] = ["must be a JSON array of health reports."] });
        if (body.GetArrayLength() > MaxBatch)
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["body"] = [$"{body.GetArrayLength()} reports; a batch holds at most {MaxBatch}."] });
        var outcomes = new IngestOutcome?[body.GetArrayLength()];
        var parsed = new List<HealthReport>();
        var index = new List<int>();
        var i = 0;
        foreach (var item in body.EnumerateArray())
        {
            if (HealthReportJson.TryRead(item, $"[{i}]", out var report, out var field, out var reason)) { parsed.Add(report!); index.Add(i); }
            else outcomes[i] = new IngestOutcome(IngestStatus.Malformed, field, reason);
            i++;
        }
        var applied = await desk.ApplyAsync(parsed, ct);
        for (var k = 0; k < applied.Count; k++) outcomes[index[k]] = applied[k];
        var items = outcomes.Select((o, n) => new ReportOutcome(n, Status(o!.Status), o.Field, o.Reason)).ToList();
        return TypedResults.Ok(new BatchView(outcomes.Count(o => o!.Status == IngestStatus.Applied), outcomes.Count(o => o!.Status == IngestStatus.Duplicate),
            outcomes.Count(o => o!.Refused), items));
    }

    public static string Status(IngestStatus s) => s switch
    {
        IngestStatus.Applied => "applied",
        IngestStatus.Duplicate => "duplicate",
        IngestStatus.Malformed => "malformed",
        IngestStatus.UnknownNode => "unknown_node",
        IngestStatus.FromTheFuture => "from_the_future",
        _ => throw new ArgumentOutOfRangeException(nameof(s), s, null),
    };

    /// <summary>Nodes in serial order, filtered by fabric, state (burn_in, in_service, degraded, failed, in_repair, rma, retired) and role (serving, spare, free).</summary>
    private static Results<Ok<Page<NodeView>>, ValidationProblem> Nodes(FleetDesk desk, string? fabric, string? state, string? role, int? offset, int? limit)
    {
        var errors = new Dictionary<string, string[]>();
        NodeState? s = null;
        if (state is not null)
        {
            if (FleetText.TryParseState(state, out var parsed)) s = parsed;
            else errors["state"] = [$"'{state}' is not one of burn_in, in_service, degraded, failed, in_repair, rma, retired."];
        }
        NodeRole? r = null;
        if (role is not null)
        {
            if (Enum.TryParse<NodeRole>(role, ignoreCase: true, out var parsed) && role.All(char.IsLetter)) r = parsed;
            else errors["role"] = [$"'{role}' is not one of serving, spare, free."];
        }
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors);
        return Paging.Slice(desk.Nodes(fabric is null ? null : new FabricId(fabric), s, r), offset, limit);
    }

    /// <summary>One node with its latest 100 transitions, newest first.</summary>
    private static async Task<Results<Ok<NodeDetail>, NotFound>> Node(FleetDesk desk, LessorState s, string serial, CancellationToken ct)
    {
        if (desk.View(serial) is not { } node) return TypedResults.NotFound();
        var history = await s.Store.ListTransitionsAsync(serial, 0, 100, ct);
        return TypedResults.Ok(new NodeDetail(node, [.. history.Select(View)]));
    }

    private static TransitionView View(StoredTransition t) =>
        new(t.Id, t.Transition.Node, FleetText.Name(t.Transition.From), FleetText.Name(t.Transition.To), t.Transition.At, t.Transition.Cause, t.RecordedAt);

    private static SwapView View(StoredSwap s) =>
        new(s.Id, s.Swap.Line.Contract.Value, s.Swap.Line.Line.Value, s.Swap.Failed, s.Swap.Spare, s.Swap.At, s.Swap.Cause, s.DecidedAt);

    /// <summary>Transitions of every node (or of one: ?node=), newest first, paged.</summary>
    private static async Task<Results<Ok<Page<TransitionView>>, ValidationProblem>> Events(LessorState s, string? node, int? offset, int? limit, CancellationToken ct)
    {
        var o = offset ?? 0;
        var l = limit ?? Paging.DefaultLimit;
        var errors = new Dictionary<string, string[]>();
        if (o < 0) errors["offset"] = [$"{o} is negative; offsets start at 0."];
        if (l is < 1 or > Paging.MaxLimit) errors["limit"] = [$"{l} is outside 1..{Paging.MaxLimit}."];
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors);
        var items = await s.Store.ListTransitionsAsync(node, o, l, ct);
        return TypedResults.Ok(new Page<TransitionView>([.. items.Select(View)], o + items.Count + (items.Count == l ? 1 : 0), o, l));
    }

    /// <summary>Per fabric: the spare policy's size, the pool, healthy spares left, lines short; and the latest 100 swaps.</summary>
    private static async Task<Ok<SparesView>> Spares(FleetDesk desk, LessorState s, CancellationToken ct) =>
        TypedResults.Ok(new SparesView(desk.Spares(), [.. (await s.Store.ListSwapsAsync(0, 100, ct)).Select(View)]));

    /// <summary>Lines short now (a failed node and no spare left), longest first, with the customer to call.</summary>
    private static Ok<IReadOnlyList<LineShort>> AtRisk(FleetDesk desk) => TypedResults.Ok(desk.AtRisk());

    /// <summary>Applies an operator's action to a node (start_repair, rma, return_to_service, retire).</summary>
    private static async Task<Results<Ok<ActionView>, NotFound, ValidationProblem>> Act(FleetDesk desk, string serial, ActionBody body, CancellationToken ct)
    {
        if (desk.View(serial) is null) return TypedResults.NotFound();
        if (!FleetText.TryParseAction(body.Action, out var action) || action is NodeAction.BurnInPass or NodeAction.BurnInFail)
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["action"] = ["required: one of start_repair, rma, return_to_service, retire."] });
        if (body.At is { } at && at.Kind != DateTimeKind.Utc)
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["at"] = ["must be UTC, with a trailing Z."] });
        var outcome = await desk.ActAsync(serial, action, body.At, body.Note, ct);
        if (outcome.Error is not null) return TypedResults.ValidationProblem(new Dictionary<string, string[]> { [outcome.Field!] = [outcome.Error] });
        return TypedResults.Ok(new ActionView(outcome.Node!, outcome.Swaps));
    }

    /// <summary>Records a delivery's burn-in gate: passed, the delivery is accepted (accepted supply) and its nodes enter service; failed, they fail.</summary>
    private static async Task<Results<Ok<BurnInResult>, ValidationProblem>> BurnIn(FleetDesk desk, LessorState s, string id, BurnInBody body, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        if (body.Passed is null) errors["passed"] = ["required: true when the gate passed, false when it failed."];
        if (string.IsNullOrWhiteSpace(body.Evidence)) errors["evidence"] = ["required: what the gate ran and found, kept as evidence."];
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors);
        var (field, error) = await desk.BurnInAsync(new DeliveryId(id), body.Passed!.Value, body.Evidence!, ct);
        if (error is not null) return TypedResults.ValidationProblem(new Dictionary<string, string[]> { [field!] = [error] });
        return TypedResults.Ok((await s.Store.FindBurnInAsync(new DeliveryId(id), ct))!);
    }

    /// <summary>Announces maintenance; the SLA excludes it from a contract's month when announced with the contract's notice.</summary>
    private static async Task<Results<Created<MaintenanceView>, ValidationProblem>> Announce(FleetDesk desk, MaintenanceBody body, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrWhiteSpace(body.Id)) errors["id"] = ["required: your id for this window."];
        if (string.IsNullOrWhiteSpace(body.Fabric)) errors["fabric"] = ["required: the fabric whose nodes go into maintenance."];
        if (body.Start is not { } start || start.Kind != DateTimeKind.Utc) errors["start"] = ["required: a UTC instant with a trailing Z."];
        if (body.End is not { } end || end.Kind != DateTimeKind.Utc) errors["end"] = ["required: a UTC instant with a trailing Z."];
        else if (body.Start is { } st && end <= st) errors["end"] = ["must be after start (the window is [start, end))."];
        if (string.IsNullOrWhiteSpace(body.Reason)) errors["reason"] = ["required: what the maintenance is for, told to the tenants."];
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors);
        var (window, field, error) = await desk.AnnounceMaintenanceAsync(body.Id!, new FabricId(body.Fabric!), body.Nodes ?? [], new Period(body.Start!.Value, body.End!.Value), body.Reason!, ct);
        if (window is null) return TypedResults.ValidationProblem(new Dictionary<string, string[]> { [field!] = [error!] });
        return TypedResults.Created($"/api/v1/fleet/maintenance?month={YearMonth.Of(window.Period.Start)}", ViewOf(window));
    }

    private static MaintenanceView ViewOf(MaintenanceWindow w) => new(w.Id, w.Fabric.Value, w.Nodes, w.Period.Start, w.Period.End, w.AnnouncedAt, w.Reason);

    /// <summary>Maintenance windows overlapping a month (YYYY-MM; default: this month), by start.</summary>
    private static async Task<Results<Ok<IReadOnlyList<MaintenanceView>>, ValidationProblem>> ListMaintenance(LessorState s, TimeProvider clock, string? month, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        var m = month is null ? YearMonth.Of(clock.GetUtcNow().UtcDateTime) : DateInput.Month(errors, "month", month);
        if (errors.Count > 0 || m is not { } ym) return TypedResults.ValidationProblem(errors);
        return TypedResults.Ok<IReadOnlyList<MaintenanceView>>([.. (await s.Store.ListMaintenanceAsync(ym.Period, ct)).Select(ViewOf)]);
    }
}
