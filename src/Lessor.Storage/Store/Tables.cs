using static Lessor.Storage.Store.ColumnKind;

namespace Lessor.Storage.Store;

/// <summary>The tables an import writes, in the column order of Migrations/*/0001; the order respects foreign keys.</summary>
internal static class Tables
{
    private static readonly (string, ColumnKind)[] LineColumns =
    [
        ("platform_id", Text), ("gpus", Int), ("period_start", Time), ("period_end", Time),
        ("price_amount", ColumnKind.Decimal), ("price_currency", Text), ("locality", Text), ("block_size", Int),
        ("min_sites", Int), ("option_exercise_by", Time), ("option_exercised_on", Time), ("option_exercised_under", Text),
    ];

    public static readonly TableSpec Platforms = new("platforms",
        ("id", Text), ("ordinal", Int), ("name", Text), ("vendor", Text), ("gpus_per_unit", Int), ("dies_per_gpu", Int),
        ("scale_up_domain_gpus", Int), ("unit_kw", ColumnKind.Decimal), ("cooling", Text),
        ("capex_amount", ColumnKind.Decimal), ("capex_currency", Text),
        ("on_demand_amount", ColumnKind.Decimal), ("on_demand_currency", Text),
        ("reserved_amount", ColumnKind.Decimal), ("reserved_currency", Text),
        ("spot_amount", ColumnKind.Decimal), ("spot_currency", Text),
        ("lead_time_days", Int), ("available_from", Time));

    public static readonly TableSpec PlatformAliases = new("platform_aliases", ("platform_id", Text), ("ordinal", Int), ("alias", Text));

    public static readonly TableSpec Regions = new("regions", ("id", Text), ("ordinal", Int), ("name", Text));

    public static readonly TableSpec Sites = new("sites", ("id", Text), ("ordinal", Int), ("name", Text), ("region_id", Text));

    public static readonly TableSpec SiteCooling = new("site_cooling", ("site_id", Text), ("ordinal", Int), ("cooling", Text));

    public static readonly TableSpec SitePowerSteps = new("site_power_steps",
        ("site_id", Text), ("ordinal", Int), ("from_at", Time), ("mw", ColumnKind.Decimal));

    public static readonly TableSpec Fabrics = new("fabrics",
        ("id", Text), ("ordinal", Int), ("site_id", Text), ("platform_id", Text), ("max_units", Int));

    public static readonly TableSpec Deliveries = new("deliveries",
        ("id", Text), ("ordinal", Int), ("fabric_id", Text), ("units", Int), ("status", Text), ("ordered_on", Time),
        ("acceptance_date", Time), ("original_acceptance_date", Time));

    public static readonly TableSpec Customers = new("customers", ("id", Text), ("ordinal", Int), ("name", Text));

    public static readonly TableSpec Contracts = new("contracts",
        ("id", Text), ("ordinal", Int), ("customer_id", Text), ("signed_on", Time), ("currency", Text), ("kind", Text),
        ("title", Text), ("headline_amount", ColumnKind.Decimal), ("headline_currency", Text),
        ("prepayment_amount", ColumnKind.Decimal), ("prepayment_currency", Text),
        ("backstop_cap_amount", ColumnKind.Decimal), ("backstop_cap_currency", Text),
        ("backstop_start", Time), ("backstop_end", Time),
        ("sla_availability_target", ColumnKind.Decimal), ("sla_credit_fraction", ColumnKind.Decimal),
        ("sla_credit_cap_fraction", ColumnKind.Decimal),
        ("cancellation_fee_fraction", ColumnKind.Decimal), ("cancellation_notice_days", Int),
        ("cancelled_on", Time), ("cancellation_fee_amount", ColumnKind.Decimal), ("cancellation_fee_currency", Text),
        ("cancellation_reason", Text), ("late_delivery", Text));

    public static readonly TableSpec ContractLines = new("contract_lines",
        [("contract_id", Text), ("line_id", Text), ("ordinal", Int), .. LineColumns]);

    public static readonly TableSpec LineBlocks = new("line_blocks",
        ("contract_id", Text), ("line_id", Text), ("ordinal", Int), ("fabric_id", Text), ("units", Int));

    public static readonly TableSpec Amendments = new("amendments",
        ("contract_id", Text), ("ordinal", Int), ("sequence", Int), ("effective_on", Time), ("kind", Text),
        ("line_id", Text), ("note", Text));

    public static readonly TableSpec AmendmentLines = new("amendment_lines",
        [("contract_id", Text), ("amendment_ordinal", Int), ("side", Text), ("line_id", Text), .. LineColumns]);

    public static readonly TableSpec AmendmentLineBlocks = new("amendment_line_blocks",
        ("contract_id", Text), ("amendment_ordinal", Int), ("side", Text), ("ordinal", Int), ("fabric_id", Text), ("units", Int));

    /// <summary>Tables with an id of their own and a store-wide ordinal: what "the store is empty" looks at.</summary>
    public static readonly string[] TopLevel = ["platforms", "regions", "sites", "fabrics", "deliveries", "customers", "contracts"];

    /// <summary>The SELECT list of line columns (after the key columns), in <see cref="LineColumns"/> order, for alias <paramref name="alias"/>.</summary>
    public static string LineSelect(string alias) => string.Join(", ", LineColumns.Select(c => alias + "." + c.Item1));
}
