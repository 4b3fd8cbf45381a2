using System.Data.Common;
using System.Globalization;
using System.Reflection;

namespace Lessor.Storage.Store;

/// <summary>One versioned schema script, embedded from Migrations/{dialect}/NNNN_name.sql.</summary>
internal sealed record Migration(int Version, string Name, string Sql);

/// <summary>Applies pending migrations at open, each in its own transaction, and records them in schema_migrations.</summary>
internal static class Migrator
{
    /// <summary>The dialect's migrations in version order; versions run 1, 2, 3... without gaps.</summary>
    public static IReadOnlyList<Migration> Load(string folder)
    {
        var assembly = typeof(Migrator).Assembly;
        // The SDK names a resource after its folders with dots; a folder that starts with a digit gets a '_'.
        var prefix = $"{assembly.GetName().Name}.Migrations.{folder}.";
        var migrations = new List<Migration>();
        foreach (var resource in assembly.GetManifestResourceNames())
        {
            if (!resource.StartsWith(prefix, StringComparison.Ordinal) || !resource.EndsWith(".sql", StringComparison.Ordinal)) continue;
            var file = resource[prefix.Length..^".sql".Length];
            var underscore = file.IndexOf('_', StringComparison.Ordinal);
            if (underscore <= 0 || !int.TryParse(file[..underscore], NumberStyles.None, CultureInfo.InvariantCulture, out var version))
                throw new InvalidOperationException($"Migration resource '{resource}' is not named NNNN_name.sql.");
            migrations.Add(new Migration(version, file[(underscore + 1)..], Read(assembly, resource)));
        }
        migrations.Sort((a, b) => a.Version.CompareTo(b.Version));
        for (var i = 0; i < migrations.Count; i++)
        {
            if (migrations[i].Version != i + 1)
                throw new InvalidOperationException($"Migrations/{folder}: expected version {i + 1}, found {migrations[i].Version} ({migrations[i].Name}).");
        }
        return migrations;
    }

    /// <summary>
    /// Applies what is pending (up to <paramref name="through"/> when given: tests build an older store to upgrade);
    /// returns the schema version. Safe when several processes open the store at once.
    /// </summary>
    public static async Task<int> ApplyAsync(Dialect dialect, TimeProvider clock, CancellationToken ct, int? through = null)
    {
        var migrations = Load(dialect.MigrationFolder);
        await using var connection = await dialect.OpenAsync(ct);
        // A store migrated by a newer release is refused before anything is locked or written: a replica left on the
        // old version during a rolling upgrade must not stamp its view of the schema on the new one.
        await RefuseNewerAsync(dialect, connection, migrations[^1], ct);
        // Under the migration lock: two PostgreSQL sessions running CREATE TABLE IF NOT EXISTS at once can
        // both pass the check and one then fails on the catalog's unique index.
        await using (var transaction = await dialect.BeginWriteAsync(connection, ct))
        {
            await dialect.LockMigrationsAsync(connection, transaction, ct);
            await using var create = Db.Command(connection, transaction, dialect.SchemaMigrationsDdl);
            await create.ExecuteNonQueryAsync(ct);
            await transaction.CommitAsync(ct);
        }
        var version = await CurrentVersionAsync(connection, null, ct);
        // A newer release may have migrated between the check above and the lock: this one has written only the
        // schema_migrations table that release already had, and stops here.
        if (version > migrations[^1].Version) throw new StoreSchemaTooNewException(version, migrations[^1].Version, migrations[^1].Name);
        foreach (var migration in migrations)
        {
            if (migration.Version <= version) continue;
            if (migration.Version > through) break;
            await using var transaction = await dialect.BeginWriteAsync(connection, ct);
            await dialect.LockMigrationsAsync(connection, transaction, ct);
            // Another process may have applied it while this one waited for the lock.
            if (await CurrentVersionAsync(connection, transaction, ct) >= migration.Version)
            {
                await transaction.CommitAsync(ct);
                continue;
            }
            await using (var script = connection.CreateCommand())
            {
                script.Transaction = transaction;
                script.CommandText = migration.Sql;
                await script.ExecuteNonQueryAsync(ct);
            }
            await using (var record = connection.CreateCommand())
            {
                record.Transaction = transaction;
                record.CommandText = "INSERT INTO schema_migrations (version, name, applied_at) VALUES (@version, @name, @applied_at)";
                Db.Add(record, "version", migration.Version);
                Db.Add(record, "name", migration.Name);
                var now = clock.GetUtcNow().UtcDateTime;
                Db.Add(record, "applied_at", dialect.TimeValue(new DateTime(now.Ticks - now.Ticks % 10, DateTimeKind.Utc)));
                await record.ExecuteNonQueryAsync(ct);
            }
            await transaction.CommitAsync(ct);
            version = migration.Version;
        }
        return await CurrentVersionAsync(connection, null, ct);
    }

    /// <summary>Throws <see cref="StoreSchemaTooNewException"/> when the store records a migration past <paramref name="newest"/>; reads only.</summary>
    private static async Task RefuseNewerAsync(Dialect dialect, DbConnection connection, Migration newest, CancellationToken ct)
    {
        await using var transaction = await dialect.BeginReadAsync(connection, ct);
        if (await Db.ScalarLongAsync(connection, transaction, dialect.SchemaMigrationsExistSql, ct) == 0)
        {
            await transaction.CommitAsync(ct);
            return;
        }
        var version = await CurrentVersionAsync(connection, transaction, ct);
        await transaction.CommitAsync(ct);
        if (version > newest.Version) throw new StoreSchemaTooNewException(version, newest.Version, newest.Name);
    }

    public static async Task<int> CurrentVersionAsync(DbConnection connection, DbTransaction? transaction, CancellationToken ct)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "SELECT COALESCE(MAX(version), 0) FROM schema_migrations";
        return Convert.ToInt32(await command.ExecuteScalarAsync(ct), CultureInfo.InvariantCulture);
    }

    private static string Read(Assembly assembly, string resource)
    {
        using var stream = assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"Embedded migration '{resource}' cannot be read.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}

/// <summary>Small ADO.NET helpers shared by the store's queries.</summary>
internal static class Db
{
    public static void Add(DbCommand command, string name, object? value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name.StartsWith('@') ? name : "@" + name;
        parameter.Value = value ?? DBNull.Value;
        command.Parameters.Add(parameter);
    }

    /// <summary>
    /// Adds parameters <paramref name="names"/> (null for now) and returns them in order: a command run once per row sets
    /// their values and runs again, so the statement is compiled once per transaction, not once per row.
    /// </summary>
    public static DbParameter[] Parameters(DbCommand command, params string[] names)
    {
        var parameters = new DbParameter[names.Length];
        for (var i = 0; i < names.Length; i++)
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = "@" + names[i];
            parameter.Value = DBNull.Value;
            command.Parameters.Add(parameter);
            parameters[i] = parameter;
        }
        return parameters;
    }

    /// <summary>Sets the values of <see cref="Parameters"/>' result, in order; null is SQL NULL.</summary>
    public static void Set(DbParameter[] parameters, params object?[] values)
    {
        for (var i = 0; i < parameters.Length; i++) parameters[i].Value = values[i] ?? DBNull.Value;
    }

    public static DbCommand Command(DbConnection connection, DbTransaction? transaction, string sql)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        return command;
    }

    public static async Task<long> ScalarLongAsync(DbConnection connection, DbTransaction? transaction, string sql, CancellationToken ct)
    {
        await using var command = Command(connection, transaction, sql);
        return Convert.ToInt64(await command.ExecuteScalarAsync(ct), CultureInfo.InvariantCulture);
    }
}
