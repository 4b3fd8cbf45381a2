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
