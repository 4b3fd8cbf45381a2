namespace Lessor.Server.Access;

/// <summary>
/// Who may do what. Each endpoint names one policy; each policy admits a set of roles. A tenant key is bound to
/// one customer: it sees that customer's contracts, schedule, usage and invoices, and everything else answers 404.
/// </summary>
public static class Roles
{
    public const string Admin = "admin";
    public const string Planner = "planner";
    public const string Finance = "finance";
    public const string Operator = "operator";
    public const string Tenant = "tenant";

    public static readonly IReadOnlyList<string> All = [Admin, Planner, Finance, Operator, Tenant];

    /// <summary>Claim type carrying a tenant key's customer id.</summary>
    public const string CustomerClaim = "lessor:customer";

    /// <summary>Claim type carrying the key id (for the audit log and rate limits).</summary>
    public const string KeyClaim = "lessor:key";
}

/// <summary>The policies endpoints require, and the roles each admits.</summary>
public static class Policies
{
    /// <summary>Estate: catalog, sites, fabrics, deliveries, fleet and dashboard series.</summary>
    public const string EstateRead = "estate.read";

    /// <summary>Customers and contracts; a tenant sees only its own.</summary>
    public const string BookRead = "book.read";

    /// <summary>The deal desk: questions and writes.</summary>
    public const string Desk = "desk";

    /// <summary>Lines at risk from slipped deliveries.</summary>
    public const string Risk = "risk";

    /// <summary>Monte Carlo ranges of revenue, MW and SLA credits over the whole book (issue 16).</summary>
    public const string Forecast = "forecast";

    /// <summary>Operations' writes: delivery dates.</summary>
    public const string Operations = "operations";

    /// <summary>Book-wide finance: KPIs, revenue, invoice runs.</summary>
    public const string Finance = "finance";

    /// <summary>One customer's schedule and invoices; a tenant only its own.</summary>
    public const string CustomerFinance = "customer.finance";

    /// <summary>On-demand node claims; a tenant only for itself.</summary>
    public const string Claims = "claims";

    /// <summary>The fleet's nodes, events, spares and lines short now (issue 14).</summary>
    public const string FleetRead = "fleet.read";

    /// <summary>The fleet's writes: health reports, operator actions, burn-in results, maintenance.</summary>
    public const string FleetWrite = "fleet.write";

    /// <summary>Availability and SLA credits per contract and month; a tenant only its own.</summary>
    public const string SlaRead = "sla.read";

    /// <summary>Keys and the audit log.</summary>
    public const string Admin = "admin";

    /// <summary>
    /// Prometheus `/metrics`: request rates per endpoint, queue depths, store timings. Operators watch the service;
    /// a tenant must not see the volume of other customers' business.
    /// </summary>
    public const string Metrics = "metrics";

    /// <summary>Any valid key (who am I).</summary>
    public const string Anyone = "anyone";

    public static readonly IReadOnlyDictionary<string, string[]> RolesOf = new Dictionary<string, string[]>
    {
        [EstateRead] = [Roles.Admin, Roles.Planner, Roles.Finance, Roles.Operator],
        [BookRead] = [Roles.Admin, Roles.Planner, Roles.Finance, Roles.Operator, Roles.Tenant],
        [Desk] = [Roles.Admin, Roles.Planner],
        [Risk] = [Roles.Admin, Roles.Planner, Roles.Operator],
        [Forecast] = [Roles.Admin, Roles.Planner, Roles.Finance],
        [Operations] = [Roles.Admin, Roles.Operator],
        [Finance] = [Roles.Admin, Roles.Finance],
        [CustomerFinance] = [Roles.Admin, Roles.Finance, Roles.Tenant],
        [Claims] = [Roles.Admin, Roles.Operator, Roles.Tenant],
        [FleetRead] = [Roles.Admin, Roles.Planner, Roles.Finance, Roles.Operator],
        [FleetWrite] = [Roles.Admin, Roles.Operator],
        [SlaRead] = [Roles.Admin, Roles.Finance, Roles.Operator, Roles.Tenant],
        [Admin] = [Roles.Admin],
        [Metrics] = [Roles.Admin, Roles.Operator],
        [Anyone] = [Roles.Admin, Roles.Planner, Roles.Finance, Roles.Operator, Roles.Tenant],
    };
}
