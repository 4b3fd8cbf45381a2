using System.Text;
using Lessor.Core.Model;

namespace Lessor.Storage.Scenarios;

/// <summary>
/// Writes a scenario as YAML or JSON. The scenario is first turned into a small document tree (maps keep
/// key order; defaults are left out), which two hand-written emitters print: no reflection on the hot path.
/// </summary>
internal static class ScenarioWriter
{
    private enum Kind { String, Number, Date }

    private abstract class Node;

    private sealed class Scalar(string text, Kind kind) : Node
    {
        public readonly string Text = text;
        public readonly Kind Kind = kind;
    }

    private sealed class Map(bool flow = false) : Node
    {
        public readonly List<(string Key, Node Value)> Items = [];
        public readonly bool Flow = flow;

        public Map Add(string key, Node? value)
        {
            if (value is not null) Items.Add((key, value));
            return this;
        }
    }

    private sealed class Seq(bool flow = false) : Node
    {
        public readonly List<Node> Items = [];
        public readonly bool Flow = flow;
    }

    private static Scalar? Str(string? s) => s is null ? null : new Scalar(s, Kind.String);
    private static Scalar Num(decimal d) => new(ModelText.Num(d), Kind.Number);
    private static Scalar Num(long n) => new(ModelText.Int(n), Kind.Number);
    private static Scalar? Date(DateTime? t) => t is { } v ? new Scalar(ModelText.Date(v), Kind.Date) : null;
    private static Scalar Name<T>(T value, string[] names, T[] values) => new(names[Array.IndexOf(values, value)], Kind.String);

    /// <summary>A plain number in the governing currency, or "1.85 EUR" when the value is in another.</summary>
    private static Scalar? Money(Money? m, Currency context) =>
        m is not { } v ? null
        : v.Currency == context ? Num(v.Amount)
        : new Scalar($"{ModelText.Num(v.Amount)} {v.Currency.Code}", Kind.String);

    private static Seq? List<T>(IReadOnlyList<T> items, Func<T, Node> item, bool flow = false)
    {
        if (items.Count == 0) return null;
        var seq = new Seq(flow);
        for (var i = 0; i < items.Count; i++) seq.Items.Add(item(items[i]));
        return seq;
    }

    private static Map Build(Scenario s)
    {
        var c = s.Currency;
        return new Map()
            .Add("name", Str(s.Name))
            .Add("description", Str(s.Description))
            .Add("currency", Str(c.Code))
            .Add("platforms", List(s.Platforms, p => Platform(p, c)))
            .Add("regions", List(s.Regions, r => new Map().Add("id", Str(r.Id.Value)).Add("name", Str(r.Name))))
            .Add("sites", List(s.Sites, Site))
            .Add("fabrics", List(s.Fabrics, f => new Map()
                .Add("id", Str(f.Id.Value)).Add("site", Str(f.Site.Value)).Add("platform", Str(f.Platform.Value)).Add("max_units", Num(f.MaxUnits))))
            .Add("deliveries", List(s.Deliveries, Delivery))
            .Add("customers", List(s.Customers, x => new Map().Add("id", Str(x.Id.Value)).Add("name", Str(x.Name))))
            .Add("contracts", List(s.Contracts, x => Contract(x, c)))
            .Add("uncertainty", s.Uncertainty is { } u ? Uncertainty(u) : null);
    }

    private static Scalar? Num(double? d) => d is { } v ? Num((decimal)v) : null;

    private static Map Uncertainty(Lessor.Core.Risk.UncertaintyModel u)
    {
        var map = new Map()
            .Add("deliveries", List(u.Deliveries, Rule))
            .Add("power", List(u.Power, Rule));
        if (u.Failures is { } f)
            map.Add("failures", new Map()
                .Add("gpu_hours_between_failures", Num(f.GpuHoursBetweenFailures))
                .Add("gpus_per_failure", Num(f.GpusPerFailure))
                .Add("swap_minutes", Num(f.SwapMinutes))
                .Add("causes", List(f.Causes, x => new Map(flow: true).Add("name", Str(x.Name)).Add("share", Num(x.Share))
                    .Add("uses_spare", x.UsesSpare ? new Scalar("true", Kind.Number) : null).Add("repair_hours", Distribution(x.RepairHours)))));
        if (u.Spares.Fraction != 0) map.Add("spares", new Map(flow: true).Add("fraction", Num(u.Spares.Fraction)));
        return map;
    }

    private static Map Rule(Lessor.Core.Risk.DelayRule r)
    {
        var m = r.Match;
        var match = new Map(flow: true).Add("delivery", Str(m.Delivery)).Add("site", Str(m.Site)).Add("platform", Str(m.Platform))
            .Add("vendor", Str(m.Vendor)).Add("step", Date(m.Step));
        return new Map().Add("match", match.Items.Count == 0 ? null : match).Add("on_time", Num(r.OnTime)).Add("delay_days", Distribution(r.Delay));
    }

    private static Map Distribution(Lessor.Core.Risk.Distribution d) => new Map(flow: true)
        .Add("kind", new Scalar(UncertaintyReader.KindNames[Array.IndexOf(UncertaintyReader.KindValues, d.Kind)], Kind.String))
        .Add("value", Num(d.Value)).Add("mean", Num(d.Mean)).Add("median", Num(d.Median)).Add("sigma", Num(d.Sigma))
        .Add("min", Num(d.Min)).Add("max", Num(d.Max))
        .Add("values", List(d.Values, v => Num((decimal)v), flow: true));

    private static Map Platform(Platform p, Currency c) => new Map()
        .Add("id", Str(p.Id.Value))
        .Add("name", Str(p.Name))
        .Add("vendor", Str(p.Vendor))
        .Add("aliases", List(p.Aliases, a => Str(a)!, flow: true))
        .Add("gpus_per_unit", Num(p.GpusPerUnit))
        .Add("dies_per_gpu", p.DiesPerGpu == 1 ? null : Num(p.DiesPerGpu))
        .Add("scale_up_domain_gpus", p.ScaleUpDomainGpus == p.GpusPerUnit ? null : Num(p.ScaleUpDomainGpus))
        .Add("unit_kw", Num(p.UnitKw))
        .Add("cooling", Name(p.Cooling, ScenarioReader.CoolingNames, ScenarioReader.CoolingValues))
        .Add("capex_per_unit", Money(p.CapexPerUnit, c))
        .Add("prices", new Map(flow: true)
            .Add("on_demand", Money(p.Prices.OnDemand, c)).Add("reserved", Money(p.Prices.Reserved, c)).Add("spot", Money(p.Prices.Spot, c)))
        .Add("lead_time_days", Num(p.LeadTimeDays))
        .Add("available_from", Date(p.AvailableFrom));

    private static Map Site(Site x)
    {
        var cooling = new Seq(flow: true);
        foreach (var k in x.Cooling) cooling.Items.Add(Name(k, ScenarioReader.CoolingNames, ScenarioReader.CoolingValues));
        return new Map()
            .Add("id", Str(x.Id.Value))
            .Add("name", Str(x.Name))
            .Add("region", Str(x.Region.Value))
            .Add("cooling", cooling)
            .Add("power", List(x.Power, p => new Map(flow: true).Add("from", Date(p.From)).Add("mw", Num(p.Mw))));
    }

    private static Map Delivery(Delivery d) => new Map(flow: false)
        .Add("id", Str(d.Id.Value))
        .Add("fabric", Str(d.Fabric.Value))
        .Add("units", Num(d.Units))
        .Add("status", Name(d.Status, ScenarioReader.StatusNames, ScenarioReader.StatusValues))
        .Add("ordered_on", Date(d.OrderedOn))
        .Add("acceptance_date", Date(d.AcceptanceDate))
        .Add("original_acceptance_date", Date(d.OriginalAcceptanceDate));

    private static Map Period(Period p) => new Map(flow: true).Add("start", Date(p.Start)).Add("end", Date(p.End));

    private static Map Contract(Contract x, Currency scenarioCurrency)
    {
        var c = x.Currency;
        return new Map()
            .Add("id", Str(x.Id.Value))
            .Add("customer", Str(x.Customer.Value))
            .Add("signed_on", Date(x.SignedOn))
            .Add("currency", c == scenarioCurrency ? null : Str(c.Code))
            .Add("kind", x.Kind == ContractKind.TakeOrPay ? null : Name(x.Kind, ScenarioReader.KindNames, ScenarioReader.KindValues))
            .Add("title", Str(x.Title))
            .Add("headline_value", Money(x.HeadlineValue, c))
            .Add("prepayment", Money(x.Prepayment, c))
            .Add("backstop_cap", Money(x.BackstopCap, c))
            .Add("backstop_period", x.BackstopPeriod is { } bp ? Period(bp) : null)
            .Add("sla", x.Sla is { } sla
                ? new Map(flow: true).Add("availability_target", Num(sla.AvailabilityTarget))
                    .Add("credit_fraction", Num(sla.CreditFraction)).Add("credit_cap_fraction", Num(sla.CreditCapFraction))
                    .Add("tiers", sla.Tiers.Count == 0 ? null : List(sla.Tiers, t => new Map(flow: true).Add("below", Num(t.Below)).Add("credit_fraction", Num(t.CreditFraction))))
                    .Add("degraded", sla.Degraded == DegradedPolicy.Available ? null : Name(sla.Degraded, ScenarioReader.DegradedNames, ScenarioReader.DegradedValues))
                    .Add("maintenance_notice_days", sla.MaintenanceNoticeDays == SlaTerms.DefaultMaintenanceNoticeDays ? null : Num(sla.MaintenanceNoticeDays))
                : null)
            .Add("cancellation_terms", x.CancellationTerms is { } t
                ? new Map(flow: true).Add("fee_fraction", Num(t.FeeFraction)).Add("notice_days", Num(t.NoticeDays))
                : null)
            .Add("cancellation", x.Cancellation is { } k
                ? new Map().Add("effective_on", Date(k.EffectiveOn)).Add("fee", Money(k.Fee, c)).Add("reason", Str(k.Reason))
                : null)
            .Add("late_delivery", x.LateDelivery == LateDeliveryRule.Extend ? null : Name(x.LateDelivery, ScenarioReader.LateDeliveryNames, ScenarioReader.LateDeliveryValues))
            .Add("lines", List(x.Lines, l => Line(l, c)))
            .Add("amendments", List(x.Amendments, a => new Map()
                .Add("sequence", Num(a.Sequence))
                .Add("effective_on", Date(a.EffectiveOn))
                .Add("kind", Name(a.Kind, ScenarioReader.AmendmentKindNames, ScenarioReader.AmendmentKindValues))
                .Add("line", Str(a.Line?.Value))
                .Add("before", a.Before is { } b ? Line(b, c) : null)
                .Add("after", a.After is { } af ? Line(af, c) : null)
                .Add("note", Str(a.Note))));
    }

    private static Map Line(ContractLine l, Currency c) => new Map()
        .Add("id", Str(l.Id.Value))
        .Add("platform", Str(l.Platform.Value))
        .Add("gpus", Num(l.Gpus.Value))
        .Add("period", Period(l.Period))
        .Add("price_per_gpu_hour", Money(l.PricePerGpuHour, c))
        .Add("locality", l.Locality == Locality.Any ? null : Name(l.Locality, ScenarioReader.LocalityNames, ScenarioReader.LocalityValues))
        .Add("block_size", l.BlockSize is { } bs ? Num(bs.Value) : null)
        .Add("min_sites", l.MinSites == 1 ? null : Num(l.MinSites))
        .Add("pinned", List(l.Pinned, b => new Map(flow: true).Add("fabric", Str(b.Fabric.Value)).Add("units", Num(b.Units))))
        .Add("option", l.Option is { } o
            ? new Map(flow: true).Add("exercise_by", Date(o.ExerciseBy)).Add("exercised_on", Date(o.ExercisedOn)).Add("exercised_under", Str(o.ExercisedUnder?.Value))
            : null);

    public static string ToYaml(Scenario s)
    {
        var sb = new StringBuilder(1 << 16);
        var top = Build(s);
        for (var i = 0; i < top.Items.Count; i++)
        {
            var (key, value) = top.Items[i];
            // A blank line before each section keeps a hand-edited file easy to scan.
            if (i > 0 && value is Seq { Flow: false }) sb.Append('\n');
            YamlEntry(sb, key, value, 0);
        }
        return sb.ToString();
    }

    private static void YamlEntry(StringBuilder sb, string key, Node value, int indent)
    {
        sb.Append(' ', indent).Append(key).Append(':');
        YamlValueAfterKey(sb, value, indent);
    }

    private static void YamlValueAfterKey(StringBuilder sb, Node value, int indent)
    {
        switch (value)
        {
            case Map { Flow: false, Items.Count: > 0 } m:
                sb.Append('\n');
                foreach (var (k, v) in m.Items) YamlEntry(sb, k, v, indent + 2);
                break;
            case Seq { Flow: false, Items.Count: > 0 } q:
                sb.Append('\n');
                foreach (var item in q.Items) YamlItem(sb, item, indent + 2);
                break;
            default:
                sb.Append(' ');
                YamlInline(sb, value);
                sb.Append('\n');
                break;
        }
    }

    private static void YamlItem(StringBuilder sb, Node item, int indent)
    {
        sb.Append(' ', indent).Append("- ");
        if (item is Map { Flow: false, Items.Count: > 0 } m)
        {
            // The first key shares the dash's line; the rest line up under it.
            var (k0, v0) = m.Items[0];
            sb.Append(k0).Append(':');
            YamlValueAfterKey(sb, v0, indent + 2);
            for (var i = 1; i < m.Items.Count; i++) YamlEntry(sb, m.Items[i].Key, m.Items[i].Value, indent + 2);
            return;
        }
        YamlInline(sb, item);
        sb.Append('\n');
    }

    private static void YamlInline(StringBuilder sb, Node node)
    {
        switch (node)
        {
            case Scalar { Kind: Kind.String } s:
                if (IsPlainSafe(s.Text)) sb.Append(s.Text);
                else Quoted(sb, s.Text);
                break;
            case Scalar s:
                sb.Append(s.Text);
                break;
            case Map m:
                if (m.Items.Count == 0)
                {
                    sb.Append("{}");
                    break;
                }
                sb.Append("{ ");
                for (var i = 0; i < m.Items.Count; i++)
                {
                    if (i > 0) sb.Append(", ");
                    sb.Append(m.Items[i].Key).Append(": ");
                    YamlInline(sb, m.Items[i].Value);
                }
                sb.Append(" }");
                break;
            case Seq q:
                sb.Append('[');
                for (var i = 0; i < q.Items.Count; i++)
                {
                    if (i > 0) sb.Append(", ");
                    YamlInline(sb, q.Items[i]);
                }
                sb.Append(']');
                break;
            default:
                throw new InvalidOperationException($"Unknown node {node.GetType().Name}.");
        }
    }

    private static readonly HashSet<string> Reserved = new(StringComparer.OrdinalIgnoreCase)
    {
        "true", "false", "yes", "no", "on", "off", "y", "n", "null", "~",
    };

    /// <summary>
    /// True when a string can be written unquoted and read back as the same string: it starts with a letter
    /// (so never a number, date or indicator) and holds only characters with no meaning to YAML, even in flow.
    /// </summary>
    private static bool IsPlainSafe(string s)
    {
        if (s.Length == 0 || !char.IsAsciiLetter(s[0]) || s[^1] == ' ' || Reserved.Contains(s)) return false;
        foreach (var ch in s)
        {
            if (!(char.IsAsciiLetterOrDigit(ch) || ch is ' ' or '-' or '_' or '.' or '/' or '(' or ')' or '+' or '\'' or '&' or '$')) return false;
        }
        return true;
    }

    /// <summary>A double-quoted string with JSON escapes, which YAML's double-quoted style reads the same way.</summary>
    private static void Quoted(StringBuilder sb, string s)
    {
        sb.Append('"');
        foreach (var ch in s)
        {
            switch (ch)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                default:
                    if (NeedsEscape(ch)) sb.Append("\\u").Append(((int)ch).ToString("x4", System.Globalization.CultureInfo.InvariantCulture));
                    else sb.Append(ch);
                    break;
            }
        }
        sb.Append('"');
    }

    /// <summary>
    /// Characters a YAML reader would not keep as written: controls, the Unicode line and paragraph separators
    /// (YAML folds them like newlines), the byte-order mark and non-characters.
    /// </summary>
    private static bool NeedsEscape(char ch) =>
        char.IsControl(ch) || ch is '\u2028' or '\u2029' or '\uFEFF' or '\uFFFE' or '\uFFFF';

    public static string ToJson(Scenario s)
    {
        var sb = new StringBuilder(1 << 16);
        Json(sb, Build(s), 0);
        sb.Append('\n');
        return sb.ToString();
    }

    private static void Json(StringBuilder sb, Node node, int indent)
    {
        switch (node)
        {
            case Scalar { Kind: Kind.Number } n:
                sb.Append(n.Text);
                break;
            case Scalar s:
                Quoted(sb, s.Text);
                break;
            case Map m:
                if (m.Flow || m.Items.Count == 0)
                {
                    sb.Append('{');
                    for (var i = 0; i < m.Items.Count; i++)
                    {
                        sb.Append(i > 0 ? ", " : " ");
                        Quoted(sb, m.Items[i].Key);
                        sb.Append(": ");
                        Json(sb, m.Items[i].Value, indent);
                    }
                    sb.Append(m.Items.Count > 0 ? " }" : "}");
                    break;
                }
                sb.Append("{\n");
                for (var i = 0; i < m.Items.Count; i++)
                {
                    sb.Append(' ', indent + 2);
                    Quoted(sb, m.Items[i].Key);
                    sb.Append(": ");
                    Json(sb, m.Items[i].Value, indent + 2);
                    sb.Append(i < m.Items.Count - 1 ? ",\n" : "\n");
                }
                sb.Append(' ', indent).Append('}');
                break;
            case Seq q:
                if (q.Flow || q.Items.Count == 0)
                {
                    sb.Append('[');
                    for (var i = 0; i < q.Items.Count; i++)
                    {
                        if (i > 0) sb.Append(", ");
                        Json(sb, q.Items[i], indent);
                    }
                    sb.Append(']');
                    break;
                }
                sb.Append("[\n");
                for (var i = 0; i < q.Items.Count; i++)
                {
                    sb.Append(' ', indent + 2);
                    Json(sb, q.Items[i], indent + 2);
                    sb.Append(i < q.Items.Count - 1 ? ",\n" : "\n");
                }
                sb.Append(' ', indent).Append(']');
                break;
            default:
                throw new InvalidOperationException($"Unknown node {node.GetType().Name}.");
        }
    }
}
