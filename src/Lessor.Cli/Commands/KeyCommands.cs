using System.CommandLine;
using Lessor.Core.Model;
using Lessor.Server.Access;
using Lessor.Server.Desk;
using Lessor.Storage.Store;
using Spectre.Console;

namespace Lessor.Cli.Commands;

/// <summary>`lessor keys create | list | revoke`: API keys for the HTTP API and the console.</summary>
internal static class KeyCommands
{
    public static Command Build(CliIo io)
    {
        var command = new Command("keys", "API keys: roles admin, planner, finance, operator, tenant (bound to one customer)");
        command.Subcommands.Add(Create(io));
        command.Subcommands.Add(List(io));
        command.Subcommands.Add(Revoke(io));
        return command;
    }

    private static Command Create(CliIo io)
    {
        var role = new Option<string>("--role") { Description = string.Join(" | ", Roles.All), Required = true };
        role.AcceptOnlyFromAmong([.. Roles.All]);
        var customer = new Option<string?>("--customer") { Description = "The customer a tenant key is bound to" };
        var name = new Option<string?>("--name") { Description = "What the key is for (shown in listings and the audit log)" };
        var db = CommonOptions.Db();
        var json = CommonOptions.Json();
        var cmd = new Command("create", "Create a key; its secret is shown once") { role, customer, name, db, json };
        cmd.SetAction(async (r, ct) =>
        {
            var roleValue = r.GetValue(role)!;
            var customerValue = r.GetValue(customer);
            if (roleValue == Roles.Tenant && string.IsNullOrEmpty(customerValue))
            {
                io.Err.WriteLine("error: --customer: a tenant key is bound to one customer; name it.");
                return ExitCodes.BadInput;
            }
            if (roleValue != Roles.Tenant && !string.IsNullOrEmpty(customerValue))
            {
                io.Err.WriteLine($"error: --customer: only tenant keys are bound to a customer, not {roleValue} keys.");
                return ExitCodes.BadInput;
            }
            await using var store = await CommonOptions.OpenExistingAsync(io, r, db, ct);
            if (store is null) return ExitCodes.BadInput;
            if (customerValue is not null && (await store.ListCustomersAsync(ct)) is var customers && customers.All(c => c.Id.Value != customerValue))
            {
                var near = Suggest.Nearest(customerValue, customers.SelectMany(c => new[] { (c.Id.Value, c.Id.Value), (c.Name, c.Id.Value) }));
                io.Err.WriteLine($"error: --customer: no customer '{customerValue}'{(near is null ? "." : $"; did you mean '{near}'?")}");
                return ExitCodes.BadInput;
            }
            var created = await ApiKeys.CreateAsync(store, roleValue, customerValue is null ? null : new CustomerId(customerValue),
                r.GetValue(name) ?? $"{roleValue} key", DateTime.UtcNow, ct);
            if (r.GetValue(json)) io.WriteJson(new { id = created.Record.Id, role = roleValue, customer = customerValue, key = created.Key });
            else
            {
                io.Out.WriteLine(created.Key);
                io.Err.WriteLine($"created {roleValue} key {created.Record.Id}{(customerValue is null ? "" : $" for {customerValue}")}; the secret above is shown once.");
            }
            return ExitCodes.Ok;
        });
        return cmd;
    }

    private static Command List(CliIo io)
    {
        var db = CommonOptions.Db();
        var json = CommonOptions.Json();
        var cmd = new Command("list", "Keys with role, customer and state (never the secrets)") { db, json };
        cmd.SetAction(async (r, ct) =>
        {
            await using var store = await CommonOptions.OpenExistingAsync(io, r, db, ct);
            if (store is null) return ExitCodes.BadInput;
            var keys = await store.ListApiKeysAsync(ct);
            if (r.GetValue(json))
            {
                io.WriteJson(keys.Select(k => new { k.Id, k.Name, k.Role, k.Customer, k.CreatedAt, k.RevokedAt }));
                return ExitCodes.Ok;
            }
            var table = new Table().Title($"{keys.Count} key(s)");
            foreach (var h in new[] { "id", "name", "role", "customer", "created", "revoked" }) table.AddColumn(h);
            foreach (var k in keys)
                table.AddRow(k.Id, Markup.Escape(k.Name), k.Role, k.Customer?.Value ?? "-", Format.Date(k.CreatedAt), k.RevokedAt is { } at ? Format.Date(at) : "-");
            io.Console.Write(table);
            return ExitCodes.Ok;
        });
        return cmd;
    }

    private static Command Revoke(CliIo io)
    {
        var id = new Argument<string>("id") { Description = "Key id (the part after lsr_)" };
        var db = CommonOptions.Db();
        var json = CommonOptions.Json();
        var cmd = new Command("revoke", "Revoke a key; requests with it get 401 from then on") { id, db, json };
        cmd.SetAction(async (r, ct) =>
        {
            await using var store = await CommonOptions.OpenExistingAsync(io, r, db, ct);
            if (store is null) return ExitCodes.BadInput;
            if (!await store.RevokeApiKeyAsync(r.GetValue(id)!, DateTime.UtcNow, ct))
            {
                var active = (await store.ListApiKeysAsync(ct)).Where(k => k.RevokedAt is null).Select(k => k.Id);
                io.Err.WriteLine($"error: id: {Suggest.WithNearest($"no active key '{r.GetValue(id)}'.", r.GetValue(id)!, active)}");
                return ExitCodes.BadInput;
            }
            if (r.GetValue(json)) io.WriteJson(new { id = r.GetValue(id), revoked = true });
            else io.Out.WriteLine($"revoked {r.GetValue(id)}.");
            return ExitCodes.Ok;
        });
        return cmd;
    }
}
