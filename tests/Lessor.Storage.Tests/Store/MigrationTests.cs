using Lessor.Storage.Store;

namespace Lessor.Storage.Tests.Store;

/// <summary>The embedded migration scripts: found, ordered, and the same set for both databases.</summary>
public sealed class MigrationTests
{
    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgres")]
    public void Given_the_embedded_scripts_When_loaded_Then_versions_run_from_1_without_gaps(string folder)
    {
        var migrations = Migrator.Load(folder);

        Assert.NotEmpty(migrations);
        Assert.Equal(Enumerable.Range(1, migrations.Count), migrations.Select(m => m.Version));
        // Every script says what it does; all but a dialect's no-op counterpart of another dialect's fix change the schema.
        Assert.All(migrations, m => Assert.StartsWith("--", m.Sql.TrimStart(), StringComparison.Ordinal));
        Assert.All(migrations.Where(m => m.Version < 5 || folder == "postgres"), m => Assert.Matches("(CREATE|ALTER) TABLE", m.Sql));
    }

    [Fact]
    public void Given_both_dialects_Then_they_have_the_same_migrations_by_version_and_name()
    {
        Assert.Equal(Migrator.Load("sqlite").Select(m => (m.Version, m.Name)), Migrator.Load("postgres").Select(m => (m.Version, m.Name)));
    }
}

/// <summary>
/// The compatibility rule of docs/storage.md: the newest migration only adds (tables, columns that take a default,
/// indexes, rows), so the previous release still reads and writes a store it has migrated; drops come a release later.
/// </summary>
public sealed class MigrationCompatibilityTests
{
    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgres")]
    public void Given_the_newest_migration_Then_it_neither_drops_renames_nor_retypes_anything(string folder)
    {
        var newest = Migrator.Load(folder)[^1];
        var sql = System.Text.RegularExpressions.Regex.Replace(newest.Sql, "--[^\n]*", " ");

        foreach (var statement in sql.Split(';').Select(s => System.Text.RegularExpressions.Regex.Replace(s, @"\s+", " ").Trim()).Where(s => s.Length > 0))
        {
            Assert.Matches(@"(?i)^(CREATE (UNIQUE )?(TABLE|INDEX)|ALTER TABLE \w+ ADD COLUMN|INSERT INTO)\b", statement);
            Assert.DoesNotMatch(@"(?i)\b(DROP|RENAME)\b", statement);
            if (System.Text.RegularExpressions.Regex.IsMatch(statement, "(?i)^ALTER TABLE .* NOT NULL"))
                Assert.Matches("(?i)DEFAULT", statement);
        }
    }
}
