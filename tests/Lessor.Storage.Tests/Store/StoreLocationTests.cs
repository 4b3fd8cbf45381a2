using Lessor.Storage.Store;

namespace Lessor.Storage.Tests.Store;

/// <summary>How a --db value is read and where the default store lives.</summary>
public sealed class StoreLocationTests
{
    [Theory]
    [InlineData("postgres://lessor:secret@db.internal:5433/book")]
    [InlineData("postgresql://db.internal/book")]
    [InlineData("POSTGRES://db.internal/book")]
    [InlineData("Host=127.0.0.1;Port=55432;Username=postgres;Database=postgres")]
    [InlineData("host=db;Database=book")]
    public void Given_a_postgres_uri_or_key_value_string_When_parsed_Then_it_is_a_postgres_location(string value)
    {
        Assert.Equal(new StoreLocation.Postgres(value), StoreLocation.Parse(value));
    }

    [Theory]
    [InlineData("lessor.db")]
    [InlineData("/var/lib/lessor/book.db")]
    [InlineData("./hosts/postgres.db")]
    public void Given_anything_else_When_parsed_Then_it_is_a_sqlite_file(string value)
    {
        Assert.Equal(new StoreLocation.Sqlite(value), StoreLocation.Parse(value));
    }

    [Fact]
    public void Given_a_postgres_uri_When_converted_for_npgsql_Then_every_part_becomes_a_keyword()
    {
        var keyValue = PostgresDialect.ToKeyValue("postgres://lessor:p%40ss@db.internal:5433/book?Timeout=7");

        Assert.Equal("Host=db.internal;Port=5433;Username=lessor;Password=p@ss;Database=book;Timeout=7", keyValue);
    }

    [Fact]
    public void Given_a_key_value_string_When_converted_for_npgsql_Then_it_is_unchanged()
    {
        Assert.Equal("Host=h;Database=d", PostgresDialect.ToKeyValue("Host=h;Database=d"));
    }

    [Fact]
    public void Given_XDG_DATA_HOME_When_asking_the_default_path_Then_the_store_lives_under_it()
    {
        Assert.Equal("/data/xdg/lessor/lessor.db", StoreLocation.DefaultSqlitePath(_ => "/data/xdg", "/home/ada"));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("relative/dir")]
    public void Given_no_usable_XDG_DATA_HOME_When_asking_the_default_path_Then_the_store_lives_under_the_home_directory(string? xdg)
    {
        Assert.Equal("/home/ada/.local/share/lessor/lessor.db", StoreLocation.DefaultSqlitePath(_ => xdg, "/home/ada"));
    }
}
