using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using Lessor.Server.Desk;
using Lessor.Storage.Store;

namespace Lessor.Cli;

/// <summary>Options several commands share, with parsers that name the option and the reason when input is bad.</summary>
internal static class CommonOptions
{
    /// <summary>--db; <paramref name="creates"/> for the two commands that may create the store (`serve`, `scenario import`).</summary>
    public static Option<string?> Db(bool creates = false) => new("--db")
    {
        Description = "SQLite file path or PostgreSQL connection string (default: $LESSOR_DB, else ~/.local/share/lessor/lessor.db)"
            + (creates ? "; a missing SQLite file is created, with its folder" : "; a SQLite file must exist (`lessor scenario import` or `lessor serve` creates one)"),
    };

    public static Option<bool> Json() => new("--json") { Description = "Write the result as JSON" };

    public static StoreLocation Store(ParseResult r, Option<string?> db) =>
        r.GetValue(db) is { Length: > 0 } value ? StoreLocation.Parse(value)
        : Environment.GetEnvironmentVariable("LESSOR_DB") is { Length: > 0 } env ? StoreLocation.Parse(env)
        : new StoreLocation.Sqlite(StoreLocation.DefaultSqlitePath());

    /// <summary>
    /// Opens the store a command reads or changes. Only `serve` and `scenario import` create a store: anywhere else a
    /// SQLite file that is not there is a mistyped --db, answered with the path and the fix (exit 2) instead of an
    /// empty store that answers "0 contracts". A PostgreSQL database is opened as given.
    /// </summary>
    public static async Task<LessorStore?> OpenExistingAsync(CliIo io, ParseResult r, Option<string?> db, CancellationToken ct)
    {
        var location = Store(r, db);
        if (location is StoreLocation.Sqlite { Path: var path } && !File.Exists(path))
        {
            var full = Path.GetFullPath(path);
            var from = r.GetValue(db) is { Length: > 0 } ? "--db" : Environment.GetEnvironmentVariable("LESSOR_DB") is { Length: > 0 } ? "--db (from $LESSOR_DB)" : "--db (default)";
            io.Err.WriteLine($"error: {from}: no store at {full}; create one with `lessor scenario import FILE --db {full}` or `lessor serve --db {full}`.");
            return null;
        }
        return await LessorStore.OpenAsync(location, ct);
    }

    /// <summary>Where the store is, for messages; a PostgreSQL password is never shown.</summary>
    public static string Describe(StoreLocation location) => location switch
    {
        StoreLocation.Sqlite s => $"sqlite:{s.Path}",
        StoreLocation.Postgres p => "postgresql:" + string.Join(';', p.ConnectionString.Split(';')
            .Where(kv => !kv.TrimStart().StartsWith("Password", StringComparison.OrdinalIgnoreCase))),
        _ => location.ToString() ?? "",
    };

    /// <summary>A UTC date (2027-01-01) or instant (2027-01-01T12:30Z).</summary>
    public static Option<DateTime?> Date(string name, string description) => new(name)
    {
        Description = description,
        CustomParser = ParseDate,
    };

    private static DateTime? ParseDate(ArgumentResult result)
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
        if (!TryParseUtc(text, out var t)) result.AddError($"{OptionName(result)}{text} is not a UTC date (2027-01-01) or instant ending in Z (2027-01-01T12:30Z).");
        // Far dates used to reach calendar arithmetic that overflows (an unhandled exception): refused here, as a parse error.
        else if (DateInput.Refusal(t) is { } far) result.AddError(OptionName(result) + far);
        else return t;
        return null;
    }

    /// <summary>"--name: " for an error about an option's value, so the message says which option it was.</summary>
    public static string OptionName(ArgumentResult result) => result?.Parent is OptionResult o ? o.Option.Name + ": " : "";

    public static bool TryParseUtc(string text, out DateTime value)
    {
        value = default;
        if (text.Length == 10 && DateTime.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture,
                DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var d))
        {
            value = DateTime.SpecifyKind(d, DateTimeKind.Utc);
            return true;
        }
        if (text.EndsWith('Z') && DateTime.TryParse(text, CultureInfo.InvariantCulture,
                DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var t))
        {
            value = DateTime.SpecifyKind(t, DateTimeKind.Utc);
            return true;
        }
        return false;
    }
}
