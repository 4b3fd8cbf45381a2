namespace Lessor.Storage.Store;

/// <summary>Where a <see cref="LessorStore"/> lives: an embedded SQLite file or a PostgreSQL database.</summary>
public abstract record StoreLocation
{
    private StoreLocation()
    {
    }

    /// <summary>An embedded SQLite database file; its directory is created on open.</summary>
    public sealed record Sqlite(string Path) : StoreLocation
    {
        public override string ToString() => Path;
    }

    /// <summary>A PostgreSQL database, as a key=value connection string or a postgres:// URI.</summary>
    public sealed record Postgres(string ConnectionString) : StoreLocation
    {
        // Never print a connection string: it may carry a password.
        public override string ToString() => "PostgreSQL database";
    }

    /// <summary>
    /// Reads what a user passes as --db: a <c>postgres://</c> or <c>postgresql://</c> URI, or a key=value
    /// string starting with <c>Host=</c>, means PostgreSQL; anything else is a SQLite file path.
    /// </summary>
    public static StoreLocation Parse(string value)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(value);
        var trimmed = value.Trim();
        if (trimmed.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase)
            || trimmed.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase)
            || trimmed.StartsWith("Host=", StringComparison.OrdinalIgnoreCase))
        {
            return new Postgres(trimmed);
        }
        return new Sqlite(value);
    }

    /// <summary>The default embedded store: <c>$XDG_DATA_HOME/lessor/lessor.db</c>, else <c>~/.local/share/lessor/lessor.db</c>.</summary>
    public static string DefaultSqlitePath() =>
        DefaultSqlitePath(Environment.GetEnvironmentVariable, Environment.GetFolderPath(Environment.SpecialFolder.UserProfile));

    internal static string DefaultSqlitePath(Func<string, string?> environment, string home)
    {
        var dataHome = environment("XDG_DATA_HOME");
        // The XDG spec says a relative value is invalid and must be ignored.
        if (string.IsNullOrEmpty(dataHome) || !System.IO.Path.IsPathRooted(dataHome))
            dataHome = System.IO.Path.Combine(home, ".local", "share");
        return System.IO.Path.Combine(dataHome, "lessor", "lessor.db");
    }
}
