using Lessor.Core.Finance;
using Lessor.Core.Fleet;
using Lessor.Core.Model;

namespace Lessor.Core.Tests.Fleet;

/// <summary>Availability and credits computed by hand (docs/fleet.md), the worked example among them.</summary>
public class SlaEngineTests
{
    private static readonly YearMonth June = new(2027, 6); // 30 days: 43,200 minutes
    private static readonly ContractId C = new("c1");
    private static readonly LineRef L = new(C, new LineId("l1"));

    private static Contract Contract(SlaTerms? sla) => new()
    {
        Id = C, Customer = new CustomerId("acme"), SignedOn = Utc.Date(2027, 1, 1), Currency = Currency.Usd, Sla = sla,
    };

    private static Outage Down(int id, string node, DateTime start, double hours) =>
        new(id, L, node, 8, false, start, start.AddHours(hours), "xid 79 on gpu 0: GPU has fallen off the bus");

    // 1,000 GPUs committed all month: 1,000 x 43,200 = 43,200,000 GPU-minutes; 1,000 x 720 h x $2.00 = $1,440,000.
    private const decimal Committed = 43_200_000m;
    private static readonly Money Charge = Money.Usd(1_440_000m);
    private static readonly SlaTerms Terms = new(0.999m, 0.10m, 0.50m);

    [Fact]
    public void Given_two_8_GPU_nodes_down_10_hours_without_a_spare_When_computing_the_month_Then_availability_is_above_999_and_there_is_no_credit()
    {
        // Down: 2 nodes x 8 GPUs x 600 min = 9,600 GPU-minutes. Availability = 1 - 9,600 / 43,200,000 = 0.99977777...
        // >= 0.999: no credit.
        var t = Utc.Date(2027, 6, 10);
        var m = SlaEngine.Month(Contract(Terms), June, Committed, [Down(1, "n1", t, 10), Down(2, "n2", t, 10)], [], Charge);
        Assert.Equal(9_600m, m.DownGpuMinutes);
        Assert.Equal(1m - 9_600m / 43_200_000m, m.Availability);
        Assert.Equal(0.9997778m, Math.Round(m.Availability, 7));
        Assert.Equal(0m, m.CreditFraction);
        Assert.Equal(Money.Usd(0m), m.Credit);
        Assert.Equal(2, m.Evidence.Count);
        Assert.All(m.Evidence, e => Assert.Equal(600m, e.Minutes));
    }

    [Fact]
    public void Given_eight_nodes_down_20_hours_When_computing_the_month_Then_one_step_below_target_earns_10_percent_of_the_charge()
    {
        // Down: 8 nodes x 8 GPUs x 1,200 min = 76,800 GPU-minutes. Availability = 1 - 76,800 / 43,200,000 = 0.99822222...
        // Below 0.999 by 0.00077778: ceil(0.00077778 / 0.001) = 1 step x 10% = 10% (cap 50%): $1,440,000 x 10% = $144,000.
        var t = Utc.Date(2027, 6, 10);
        var outages = Enumerable.Range(1, 8).Select(i => Down(i, $"n{i}", t, 20)).ToList();
        var m = SlaEngine.Month(Contract(Terms), June, Committed, outages, [], Charge);
        Assert.Equal(76_800m, m.DownGpuMinutes);
        Assert.Equal(0.9982222m, Math.Round(m.Availability, 7));
        Assert.Equal(0.10m, m.CreditFraction);
        Assert.Equal(Money.Usd(144_000m), m.Credit);
    }

    [Fact]
    public void Given_the_month_still_running_and_an_outage_still_open_When_measuring_to_now_Then_the_outage_counts_to_now_not_to_the_months_end()
    {
        // Measured [June 1, June 11 00:00): 10 days = 14,400 minutes; 1,000 GPUs: 14,400,000 GPU-minutes, charge $480,000.
        // One 8-GPU node down since June 10 14:00 and not back: 10 hours to now = 600 minutes x 8 = 4,800 GPU-minutes
        // (to the month's end it would be 20 days 10 hours: 235,200). Availability = 1 - 4,800 / 14,400,000 = 0.99966666...
        var measured = new Period(Utc.Date(2027, 6, 1), Utc.Date(2027, 6, 11));
        var open = new Outage(1, L, "n1", 8, false, Utc.Date(2027, 6, 10).AddHours(14), null, "xid 79 on gpu 0: GPU has fallen off the bus");
        var m = SlaEngine.Month(Contract(Terms), June, 14_400_000m, [open], [], Money.Usd(480_000m), measured);
        Assert.Equal(4_800m, m.DownGpuMinutes);
        Assert.Equal(0.9996667m, Math.Round(m.Availability, 7));
        Assert.Equal(Money.Usd(0m), m.Credit);
        Assert.Equal(Utc.Date(2027, 6, 11), Assert.Single(m.Evidence).End);
        Assert.Throws<ArgumentOutOfRangeException>(() => SlaEngine.Month(Contract(Terms), June, 1m, [], [], Charge, new Period(Utc.Date(2027, 6, 1), Utc.Date(2027, 7, 2))));
    }

    [Fact]
    public void Given_a_long_outage_When_many_steps_below_target_Then_the_credit_is_capped()
    {
        // 16 nodes x 8 GPUs x 10 days (14,400 min) = 1,843,200 GPU-minutes: availability 0.95733...; 43 steps x 10% capped at 50%.
        var t = Utc.Date(2027, 6, 1);
        var outages = Enumerable.Range(1, 16).Select(i => Down(i, $"n{i}", t, 240)).ToList();
        var m = SlaEngine.Month(Contract(Terms), June, Committed, outages, [], Charge);
        Assert.Equal(1_843_200m, m.DownGpuMinutes);
        Assert.Equal(0.50m, m.CreditFraction);
        Assert.Equal(Money.Usd(720_000m), m.Credit);
    }

    [Fact]
    public void Given_tiers_When_availability_falls_under_two_of_them_Then_the_deepest_tier_applies()
    {
        // 76,800 GPU-minutes down as above: availability 0.99822 is under 0.999 (5%) and 0.9985 (15%), not under 0.99 (30%).
        var tiers = Terms with { Tiers = [new SlaTier(0.999m, 0.05m), new SlaTier(0.9985m, 0.15m), new SlaTier(0.99m, 0.30m)] };
        var t = Utc.Date(2027, 6, 10);
        var m = SlaEngine.Month(Contract(tiers), June, Committed, Enumerable.Range(1, 8).Select(i => Down(i, $"n{i}", t, 20)), [], Charge);
        Assert.Equal(0.15m, m.CreditFraction);
        Assert.Equal(Money.Usd(216_000m), m.Credit);
    }

    [Fact]
    public void Given_maintenance_announced_in_time_and_late_When_computing_Then_only_the_timely_window_is_excluded()
    {
        // n1: 10 h maintenance announced 7 days ahead (notice 5): 8 x 600 = 4,800 GPU-minutes excluded from committed, and an
        // outage inside it does not count. n2: 10 h announced 1 day ahead: counted down, 4,800 GPU-minutes.
        var start = Utc.Date(2027, 6, 20);
        var window = new Period(start, start.AddHours(10));
        var maintenance = new[]
        {
            new SlaMaintenance("n1", 8, window, start.AddDays(-7)),
            new SlaMaintenance("n2", 8, window, start.AddDays(-1)),
        };
        var m = SlaEngine.Month(Contract(Terms), June, Committed, [Down(1, "n1", start.AddHours(2), 4)], maintenance, Charge);
        Assert.Equal(4_800m, m.ExcludedGpuMinutes);
        Assert.Equal(Committed - 4_800m, m.CommittedGpuMinutes);
        Assert.Equal(4_800m, m.DownGpuMinutes);
        Assert.Equal(1m - 4_800m / (Committed - 4_800m), m.Availability);
    }

    [Fact]
    public void Given_degraded_minutes_When_the_policy_says_unavailable_Then_they_count_down_and_otherwise_not()
    {
        var t = Utc.Date(2027, 6, 10);
        var degraded = new Outage(1, L, "n1", 8, true, t, t.AddHours(100), "xid 74 on gpu 1: NVLink error");
        // 8 x 6,000 = 48,000 GPU-minutes degraded: 0.998889 when counted (one step: 10%), 1 when not.
        var counted = SlaEngine.Month(Contract(Terms with { Degraded = DegradedPolicy.Unavailable }), June, Committed, [degraded], [], Charge);
        var served = SlaEngine.Month(Contract(Terms), June, Committed, [degraded], [], Charge);
        Assert.Equal(48_000m, counted.DownGpuMinutes);
        Assert.Equal(Money.Usd(144_000m), counted.Credit);
        Assert.Equal(0m, served.DownGpuMinutes);
        Assert.Equal(48_000m, served.DegradedGpuMinutes);
        Assert.Equal(1m, served.Availability);
    }

    [Fact]
    public void Given_an_open_outage_from_the_previous_month_When_computing_Then_only_minutes_inside_the_month_count()
    {
        // Down from May 31 12:00, still open: June counts all 43,200 minutes of the node: 8 x 43,200 = 345,600.
        var open = new Outage(1, L, "n1", 8, false, Utc.Date(2027, 5, 31).AddHours(12), null, "failed");
        var m = SlaEngine.Month(Contract(Terms), June, Committed, [open], [], Charge);
        Assert.Equal(345_600m, m.DownGpuMinutes);
    }

    [Fact]
    public void Given_no_committed_minutes_When_computing_Then_availability_is_one_and_no_credit()
    {
        var m = SlaEngine.Month(Contract(Terms), June, 0m, [], [], Money.Usd(0m));
        Assert.Equal(1m, m.Availability);
        Assert.Equal(Money.Usd(0m), m.Credit);
    }
}
