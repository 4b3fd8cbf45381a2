using CsCheck;
using Lessor.Core.Model;
using Lessor.Storage.Scenarios;

namespace Lessor.Storage.Tests.Scenarios;

/// <summary>Reading what was written gives back the same scenario, for any text, decimal and UTC minute.</summary>
public class RoundTripPropertyTests
{
    // Characters that mean something to YAML or JSON, whitespace of every kind, and some beyond ASCII. Not NUL:
    // the stores cannot keep it, so the validator refuses it; names get a prefix because a blank one is refused.
    private static readonly Gen<string> Text =
        Gen.Char["aZ09 -_.:#{}[],&*!|>'\"%@`?~\\/\t\n\r\u0007\u0085\u00a0\u2028\u2029\ufeffé漢"].Array[0, 12].Select(a => new string(a));

    private static readonly Gen<decimal> Amount =
        Gen.Select(Gen.Int[1, int.MaxValue], Gen.Byte[0, 8]).Select(t => new decimal(t.Item1, 0, 0, false, t.Item2));

    private static readonly Gen<DateTime> Minute =
        Gen.Int[0, 20_000_000].Select(m => Utc.FromMinute(m));

    [Fact]
    public void Given_any_names_amounts_and_minutes_When_written_and_read_back_Then_the_scenario_is_equal()
    {
        Gen.Select(Text, Text.Array[0, 4], Amount, Minute).Sample(t =>
        {
            var (description, names, mw, from) = t;
            var s = new Scenario
            {
                Name = "scenario " + description.Length,
                Description = description,
                Regions = [new Region { Id = new RegionId("r"), Name = "region " + description }],
                Sites = [new Site { Id = new SiteId("s"), Name = "site", Region = new RegionId("r"), Cooling = [Cooling.Air], Power = [new PowerStep(from, mw)] }],
                Customers = [.. names.Select((n, i) => new Customer { Id = new CustomerId($"c{i}"), Name = "customer " + n })],
            };

            foreach (var written in new[] { ScenarioFile.ToYaml(s), ScenarioFile.ToJson(s) })
            {
                var again = ScenarioFile.Parse(written);
                Assert.True(again.Errors.Count == 0, string.Join("\n", again.Errors) + "\n" + written);
                DeepEqual.Assert(s, again.Scenario);
            }
        });
    }
}
