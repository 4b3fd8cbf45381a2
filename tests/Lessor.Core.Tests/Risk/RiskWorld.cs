using Lessor.Core.Model;
using Lessor.Core.Risk;
using static Lessor.Core.Tests.Ledger.TinyWorld;

namespace Lessor.Core.Tests.Risk;

/// <summary>One site, one fabric, one ordered delivery of one 8-GPU unit due 2027-01-01, and one line on it for 2027-2028 at $2/GPU-hour.</summary>
internal static class RiskWorld
{
    public static readonly DateTime Y2027 = Utc.Date(2027, 1, 1);
    public static readonly DateTime Y2028 = Utc.Date(2028, 1, 1);

    public static Scenario Book(UncertaintyModel model, LateDeliveryRule late = LateDeliveryRule.Forfeit, SlaTerms? sla = null) => new()
    {
        Name = "risk", Currency = Currency.Usd, Platforms = [Hgx()], Regions = [new Region { Id = new RegionId("r1"), Name = "r1" }],
        Sites = [Site("s1", "r1")], Fabrics = [Fabric("f1", "s1", 8)], Customers = [new Customer { Id = new CustomerId("c"), Name = "c" }],
        Deliveries = [Delivery("d1", "f1", 1, Y2027) with { Status = DeliveryStatus.Ordered }],
        Contracts = [Pinned("acme", 0, "f1", 1, new Period(Y2027, Utc.Date(2029, 1, 1))) with { LateDelivery = late, Sla = sla }],
        Uncertainty = model,
    };

    /// <summary>On time with probability p, otherwise 10 or 30 days late with equal probability.</summary>
    public static UncertaintyModel Delays(double onTime) => new()
    {
        Deliveries = [new DelayRule { OnTime = onTime, Delay = Distribution.Empirical(10, 30) }],
    };

    public static RiskOptions Options(int trials, int threads = 1, ulong seed = 42, UncertaintyPolicy? policy = null) =>
        new() { From = Y2027, Until = Y2028, Trials = trials, Seed = seed, Threads = threads, Policy = policy };
}
