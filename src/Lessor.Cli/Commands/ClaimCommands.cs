using System.CommandLine;
using Lessor.Core.Claims;
using Lessor.Core.Model;
using Lessor.Server.Access;
using Lessor.Server.Api;
using Lessor.Server.Claims;
using Lessor.Server.Desk;
using Lessor.Storage.Store;
using Spectre.Console;

namespace Lessor.Cli.Commands;

/// <summary>`lessor claims create | release | list`: on-demand nodes, now, written through the store.</summary>
internal static class ClaimCommands
{
    public static Command Build(CliIo io)
    {
        var command = new Command("claims", "On-demand node claims: nodes of a platform in one fabric or scale-up domain, now");
        command.Subcommands.Add(Create(io));
        command.Subcommands.Add(Release(io));
        command.Subcommands.Add(List(io));
        return command;
    }

    /// <summary>A clock stopped at the instant given with --at.</summary>
    private sealed class FixedClock(DateTime now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => new(now, TimeSpan.Zero);
    }

    private static TimeProvider Clock(ParseResult r, Option<DateTime?> at) => r.GetValue(at) is { } t ? new FixedClock(t) : TimeProvider.System;

    private static Option<DateTime?> At() => CommonOptions.Date("--at", "Act as if now were this UTC instant (default: the clock)");

    private static Command Create(CliIo io)
    {
        var platform = new Option<string>("--platform") { Description = "Platform id or alias", Required = true };
        var nodes = new Option<int>("--nodes") { Description = "How many nodes", Required = true };
        var scope = new Option<string>("--scope") { Description = "fabric (all in one fabric) or domain (all in one scale-up domain)", DefaultValueFactory = _ => "fabric" };
        var customer = new Option<string>("--customer") { Description = "Customer id", Required = true };
        var key = new Option<string?>("--idempotency-key") { Description = "Retrying with the same key returns the first claim" };
        var at = At();
        var db = CommonOptions.Db();
        var json = CommonOptions.Json();
        var cmd = new Command("create", "Claim nodes now, best fit (reserved commitments are never touched)") { platform, nodes, scope, customer, key, at, db, json };
        cmd.SetAction(async (r, ct) =>
        {
            await using var store = await CommonOptions.OpenExistingAsync(io, r, db, ct);
            if (store is null) return ExitCodes.BadInput;
            var scenario = await store.ExportAsync(ct);
            var p = scenario.FindPlatform(r.GetValue(platform)!);
            string? error = null;
            if (p is null) error = $"--platform: {Suggest.NoPlatform(scenario, r.GetValue(platform)!)}";
            else if (r.GetValue(nodes) <= 0) error = $"--nodes: {r.GetValue(nodes)} must be positive.";
            else if (ClaimsApi.ParseScope(r.GetValue(scope)) is null) error = $"--scope: '{r.GetValue(scope)}' must be fabric or domain.";
            else if (scenario.Customers.All(c => c.Id.Value != r.GetValue(customer))) error = $"--customer: {Suggest.NoCustomer(scenario, r.GetValue(customer)!)}";
            else if (Idempotency.Invalid(r.GetValue(key)) is { } badKey) error = $"--idempotency-key: {badKey}";
            if (error is not null)
            {
                io.Err.WriteLine($"error: {error}");
                return ExitCodes.BadInput;
            }
            var desk = await ClaimDesk.OpenAsync(store, Clock(r, at), ct);
            var ask = new ClaimAsk(p!.Id, r.GetValue(nodes), ClaimsApi.ParseScope(r.GetValue(scope))!.Value, new CustomerId(r.GetValue(customer)!));
            var outcome = await desk.ClaimAsync(ask with { IdempotencyKey = ClaimsApi.Key(Idempotency.CliScope, r.GetValue(key), ask) }, ct);
            if (!outcome.Granted)
            {
                var field = outcome.KeyMismatch ? "idempotency-key" : outcome.Field;
                if (r.GetValue(json)) io.WriteJson(new { field, error = outcome.Error });
                else io.Err.WriteLine($"error: --{field}: {outcome.Error}");
                // A key reused with another request is bad input; otherwise the ask was understood and the nodes are not
                // there (or the store kept changing): refused.
                return outcome.KeyMismatch ? ExitCodes.BadInput : ExitCodes.Refused;
            }
            var view = ClaimsApi.ClaimView.Of(outcome.Claim!);
            if (r.GetValue(json))
            {
                io.WriteJson(view);
                return ExitCodes.Ok;
            }
            io.Out.WriteLine($"{(outcome.Replayed ? "already claimed" : "claimed")} {view.Id}: {view.NodeCount} node(s) of {view.Platform} for {view.Customer} in {view.Nodes[0].Fabric}");
            io.Out.WriteLine("  " + string.Join(' ', outcome.Claim!.Nodes.Select(n => $"{n.Unit}/{n.Tray}")));
            return ExitCodes.Ok;
        });
        return cmd;
    }

    private static Command Release(CliIo io)
    {
        var id = new Argument<string>("id") { Description = "Claim id" };
        var db = CommonOptions.Db();
        var json = CommonOptions.Json();
        var cmd = new Command("release", "Free a claim's nodes") { id, db, json };
        cmd.SetAction(async (r, ct) =>
        {
            await using var store = await CommonOptions.OpenExistingAsync(io, r, db, ct);
            if (store is null) return ExitCodes.BadInput;
            var desk = await ClaimDesk.OpenAsync(store, TimeProvider.System, ct);
            var outcome = await desk.ReleaseAsync(new ClaimId(r.GetValue(id)!), ct);
            if (r.GetValue(json)) io.WriteJson(new { id = r.GetValue(id), outcome = outcome.ToString() });
            else if (outcome == ReleaseOutcome.NotFound) io.Err.WriteLine($"error: id: no claim '{r.GetValue(id)}'.");
            else io.Out.WriteLine(outcome == ReleaseOutcome.Released ? $"released {r.GetValue(id)}" : $"{r.GetValue(id)} was already released");
            return outcome == ReleaseOutcome.NotFound ? ExitCodes.BadInput : ExitCodes.Ok;
        });
        return cmd;
    }

    private static Command List(CliIo io)
    {
        var customer = new Option<string?>("--customer") { Description = "Only this customer's claims" };
        var at = At();
        var db = CommonOptions.Db();
        var json = CommonOptions.Json();
        var cmd = new Command("list", "Claims held now") { customer, at, db, json };
        cmd.SetAction(async (r, ct) =>
        {
            await using var store = await CommonOptions.OpenExistingAsync(io, r, db, ct);
            if (store is null) return ExitCodes.BadInput;
            var desk = await ClaimDesk.OpenAsync(store, Clock(r, at), ct);
            CustomerId? filter = r.GetValue(customer) is { } c ? new CustomerId(c) : null;
            var claims = desk.List(filter).Select(ClaimsApi.ClaimView.Of).ToList();
            if (r.GetValue(json))
            {
                io.WriteJson(claims);
                return ExitCodes.Ok;
            }
            var table = new Table().Title($"{claims.Count} claims");
            table.Columns(["claim", "customer", "platform", "scope", "nodes", "fabric", "units"], "nodes", "units");
            foreach (var v in claims)
            {
                table.AddRow(v.Id, v.Customer.Value, v.Platform.Value, v.Scope, Format.Int(v.NodeCount), v.Nodes[0].Fabric.Value,
                    string.Join(',', v.Nodes.Select(n => n.Unit).Distinct()));
            }
            io.Console.Write(table);
            return ExitCodes.Ok;
        });
        return cmd;
    }
}
