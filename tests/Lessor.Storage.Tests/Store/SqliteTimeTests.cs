using System.Globalization;
using CsCheck;
using Lessor.Storage.Store;

namespace Lessor.Storage.Tests.Store;

/// <summary>The digit-by-digit reader of stored instants agrees with the general parser, and anything else still fails.</summary>
public class SqliteTimeTests
{
    private const string Format = "yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'";

    [Fact]
    public void Given_any_instant_in_the_supported_range_When_written_and_read_back_Then_it_is_the_same_instant_in_UTC()
    {
        var from = new DateTime(2000, 1, 1, 0, 0, 0, DateTimeKind.Utc).Ticks;
        var to = new DateTime(2200, 1, 1, 0, 0, 0, DateTimeKind.Utc).Ticks;
        Gen.Long[from, to - 1].Sample(ticks =>
        {
            // Stored instants keep microseconds.
            var t = new DateTime(ticks - ticks % 10, DateTimeKind.Utc);
            var text = t.ToString(Format, CultureInfo.InvariantCulture);
            var read = SqliteDialect.ParseTime(text);
            Assert.Equal(t, read);
            Assert.Equal(DateTimeKind.Utc, read.Kind);
            Assert.Equal(DateTime.ParseExact(text, Format, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal), read);
        }, iter: 20_000);
    }

    [Theory]
    [InlineData("2026-02-30T00:00:00.000000Z")]
    [InlineData("2026-13-01T00:00:00.000000Z")]
    [InlineData("2026-01-01T24:00:00.000000Z")]
    [InlineData("2026-01-01 00:00:00.000000Z")]
    [InlineData("2026-01-01T00:00:0x.000000Z")]
    [InlineData("garbage")]
    public void Given_text_that_is_not_a_stored_instant_When_read_Then_it_is_refused(string text) =>
        Assert.Throws<FormatException>(() => SqliteDialect.ParseTime(text));
}
