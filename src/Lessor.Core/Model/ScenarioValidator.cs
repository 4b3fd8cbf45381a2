namespace Lessor.Core.Model;

/// <summary>
/// Finds every semantic problem in a scenario (dangling references, impossible quantities, power and fabric
/// overruns...) and names each by its path in the scenario file, so a planner can fix them all in one pass.
/// </summary>
public static partial class ScenarioValidator
{
    /// <summary>All problems, in file order within each check; empty when the scenario is sound.</summary>
    public static IReadOnlyList<ValidationIssue> Validate(Scenario s)
    {
        ArgumentNullException.ThrowIfNull(s);
        var run = new Run(s);
        run.CheckAll();
        return run.Issues;
    }

    private sealed partial class Run(Scenario s)
    {
        public readonly List<ValidationIssue> Issues = [];

        // Id -> index of its first occurrence. Lookups are ordinal: ids are slugs, and a planner who writes
        // "US-East" for "us-east" should hear about it rather than have it silently matched.
        private readonly Dictionary<string, int> _platforms = new(StringComparer.Ordinal);
        private readonly Dictionary<string, int> _regions = new(StringComparer.Ordinal);
        private readonly Dictionary<string, int> _sites = new(StringComparer.Ordinal);
        private readonly Dictionary<string, int> _fabrics = new(StringComparer.Ordinal);
        private readonly Dictionary<string, int> _customers = new(StringComparer.Ordinal);
        private readonly Dictionary<string, int> _contracts = new(StringComparer.Ordinal);

        private void Add(string path, string message) => Issues.Add(new ValidationIssue(path, message));

        public void CheckAll()
        {
            if (string.IsNullOrWhiteSpace(s.Name)) Add("name", "the scenario needs a name");
            IndexIds(s.Platforms, "platforms", p => p.Id.Value, _platforms);
            IndexIds(s.Regions, "regions", r => r.Id.Value, _regions);
            IndexIds(s.Sites, "sites", x => x.Id.Value, _sites);
            IndexIds(s.Fabrics, "fabrics", f => f.Id.Value, _fabrics);
            IndexIds(s.Deliveries, "deliveries", d => d.Id.Value, new Dictionary<string, int>(StringComparer.Ordinal));
            IndexIds(s.Customers, "customers", c => c.Id.Value, _customers);
            IndexIds(s.Contracts, "contracts", c => c.Id.Value, _contracts);
            CheckInput();

            CheckPlatforms();
            CheckSites();
            CheckFabrics();
            CheckDeliveries();
            CheckFabricSizes();
            CheckPower();
            for (var i = 0; i < s.Contracts.Count; i++) CheckContract(i);
            if (s.Uncertainty is { } u) Issues.AddRange(Risk.UncertaintyValidator.Validate(u, s, "uncertainty"));
        }

        private void IndexIds<T>(IReadOnlyList<T> items, string list, Func<T, string?> id, Dictionary<string, int> index)
        {
            for (var i = 0; i < items.Count; i++)
            {
                var value = id(items[i]);
                if (string.IsNullOrWhiteSpace(value))
                {
                    Add($"{list}[{i}].id", "the id is empty");
                    continue;
                }
                // Indexed even when malformed, so references to it are not reported as dangling on top.
                Id($"{list}[{i}].id", value);
                if (!index.TryAdd(value, i))
                    Add($"{list}[{i}].id", $"duplicate id '{value}', already used by {list}[{index[value]}]");
            }
        }

        private Platform? PlatformOf(PlatformId id) =>
            id.Value is { } v && _platforms.TryGetValue(v, out var i) ? s.Platforms[i] : null;

        private Fabric? FabricOf(FabricId id) =>
            id.Value is { } v && _fabrics.TryGetValue(v, out var i) ? s.Fabrics[i] : null;

        private Site? SiteOf(SiteId id) =>
            id.Value is { } v && _sites.TryGetValue(v, out var i) ? s.Sites[i] : null;

        private void Positive(string path, string what, long value)
        {
            if (value <= 0) Add(path, $"{what} must be greater than zero, not {ModelText.Int(value)}");
        }

        private void Positive(string path, string what, decimal value)
        {
            if (value <= 0) Add(path, $"{what} must be greater than zero, not {ModelText.Short(value)}");
        }

        private void NotNegative(string path, string what, decimal value)
        {
            if (value < 0) Add(path, $"{what} cannot be negative, not {ModelText.Short(value)}");
        }

        private void Fraction(string path, string what, decimal value, bool zeroAllowed)
        {
            if (value > 1 || value < 0 || (!zeroAllowed && value == 0))
                Add(path, $"{what} must be a fraction {(zeroAllowed ? "from 0" : "above 0")} up to 1 (0.99 means 99%), not {ModelText.Short(value)}");
        }

        /// <summary>Money must be in the currency that governs it (the scenario's for the catalog, the contract's otherwise).</summary>
        private void MoneyIn(string path, string what, Money m, Currency expected, string owner, bool allowNegative = false)
        {
            if (m.Currency.Code is null) return;
            if (m.Currency != expected)
                Add(path, $"{what} is in {m.Currency.Code} but {owner} is in {expected.Code}");
            if (!allowNegative) NotNegative(path, what, m.Amount);
            if (Math.Abs(m.Amount) > Limits.MaxAmount)
                Add(path, $"{what} {ModelText.Num(m.Amount)} is above the limit of {ModelText.Num(Limits.MaxAmount)}");
        }

        private void CheckPlatforms()
        {
            // Aliases resolve planner input to a platform, so one alias naming two platforms is ambiguous, and so is
            // an alias that is another platform's id or name (the reader and Scenario.FindPlatform ignore case).
            var aliasOwner = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
            var idOwner = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
            var nameOwner = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
            for (var i = 0; i < s.Platforms.Count; i++)
            {
                if (s.Platforms[i].Id.Value is { } id) idOwner.TryAdd(id, i);
                if (s.Platforms[i].Name is { } name) nameOwner.TryAdd(name, i);
            }
            for (var i = 0; i < s.Platforms.Count; i++)
            {
                var p = s.Platforms[i];
                var at = $"platforms[{i}]";
                Positive($"{at}.gpus_per_unit", "gpus_per_unit", p.GpusPerUnit);
                Positive($"{at}.dies_per_gpu", "dies_per_gpu", p.DiesPerGpu);
                // Files default the domain to the unit, so a bad unit would otherwise be reported twice.
                if (p.ScaleUpDomainGpus != p.GpusPerUnit) Positive($"{at}.scale_up_domain_gpus", "scale_up_domain_gpus", p.ScaleUpDomainGpus);
                Positive($"{at}.unit_kw", "unit_kw", p.UnitKw);
                if (p.LeadTimeDays < 0) Add($"{at}.lead_time_days", $"lead_time_days cannot be negative, not {ModelText.Int(p.LeadTimeDays)}");
                var owner = $"the scenario";
                MoneyIn($"{at}.capex_per_unit", "capex_per_unit", p.CapexPerUnit, s.Currency, owner);
                if (p.Prices is { } prices)
                {
                    MoneyIn($"{at}.prices.on_demand", "prices.on_demand", prices.OnDemand, s.Currency, owner);
                    MoneyIn($"{at}.prices.reserved", "prices.reserved", prices.Reserved, s.Currency, owner);
                    MoneyIn($"{at}.prices.spot", "prices.spot", prices.Spot, s.Currency, owner);
                }
                for (var a = 0; a < p.Aliases.Count; a++)
                {
                    var alias = p.Aliases[a];
                    if (string.IsNullOrWhiteSpace(alias))
                    {
                        Add($"{at}.aliases[{a}]", "the alias is empty");
                        continue;
                    }
                    if (idOwner.TryGetValue(alias, out var byId) && byId != i)
                        Add($"{at}.aliases[{a}]", $"alias '{alias}' is the id of platform '{s.Platforms[byId].Id}'");
                    else if (nameOwner.TryGetValue(alias, out var byName) && byName != i)
                        Add($"{at}.aliases[{a}]", $"alias '{alias}' is the name of platform '{s.Platforms[byName].Id}'");
                    else if (aliasOwner.TryGetValue(alias, out var other) && other != i)
                        Add($"{at}.aliases[{a}]", $"alias '{alias}' also names platform '{s.Platforms[other].Id}'");
                    else
                        aliasOwner.TryAdd(alias, i);
                }
            }
        }

        private void CheckSites()
        {
            for (var i = 0; i < s.Sites.Count; i++)
            {
                var site = s.Sites[i];
                var at = $"sites[{i}]";
                if (site.Region.Value is null || !_regions.ContainsKey(site.Region.Value))
                    Add($"{at}.region", $"region '{site.Region}' is not defined under regions");
                if (site.Cooling.Count == 0) Add($"{at}.cooling", "the site offers no cooling; list air, liquid or both");
                for (var k = 0; k < site.Power.Count; k++)
                {
                    var step = site.Power[k];
                    Positive($"{at}.power[{k}].mw", "mw", step.Mw);
                    if (k > 0 && step.From <= site.Power[k - 1].From)
                        Add($"{at}.power[{k}].from",
                            $"power steps must be in date order: {ModelText.Date(step.From)} does not come after the previous step's {ModelText.Date(site.Power[k - 1].From)}");
                }
            }
        }

        private void CheckFabrics()
        {
            for (var i = 0; i < s.Fabrics.Count; i++)
            {
                var f = s.Fabrics[i];
                var at = $"fabrics[{i}]";
                if (SiteOf(f.Site) is null) Add($"{at}.site", $"site '{f.Site}' is not defined under sites");
                if (PlatformOf(f.Platform) is null) Add($"{at}.platform", $"platform '{f.Platform}' is not defined under platforms");
                Positive($"{at}.max_units", "max_units", f.MaxUnits);
            }
        }

        private void CheckDeliveries()
        {
            for (var i = 0; i < s.Deliveries.Count; i++)
            {
                var d = s.Deliveries[i];
                var at = $"deliveries[{i}]";
                Positive($"{at}.units", "units", d.Units);
                if (d.OrderedOn is { } ordered && ordered > d.AcceptanceDate)
                    Add($"{at}.ordered_on",
                        $"ordered on {ModelText.Date(ordered)}, after its acceptance date {ModelText.Date(d.AcceptanceDate)}");
                var fabric = FabricOf(d.Fabric);
                if (fabric is null)
                {
                    Add($"{at}.fabric", $"fabric '{d.Fabric}' is not defined under fabrics");
                    continue;
                }
                var platform = PlatformOf(fabric.Platform);
                var site = SiteOf(fabric.Site);
                if (platform is null) continue;
                // A site with no cooling at all is reported once, at the site, not at each delivery.
                if (site is not null && site.Cooling.Count > 0 && !Contains(site.Cooling, platform.Cooling))
                    Add($"{at}.fabric",
                        $"fabric '{fabric.Id}' is at site '{site.Id}', whose cooling ({CoolingList(site.Cooling)}) does not admit {platform.Id}, which needs {Lower(platform.Cooling)} cooling");
                if (d.AcceptanceDate < platform.AvailableFrom)
                    Add($"{at}.acceptance_date",
                        $"accepted on {ModelText.Date(d.AcceptanceDate)}, before {platform.Id} is available from {ModelText.Date(platform.AvailableFrom)}");
            }
        }

        private static bool Contains(IReadOnlyList<Cooling> list, Cooling c)
        {
            for (var i = 0; i < list.Count; i++) if (list[i] == c) return true;
            return false;
        }

        private static string CoolingList(IReadOnlyList<Cooling> list) => string.Join(", ", list.Select(Lower));

        internal static string Lower<T>(T value) where T : struct, Enum => value.ToString().ToLowerInvariant();

        private void CheckFabricSizes()
        {
            // Deliveries only ever add units, so the fabric is fullest once all of them have arrived.
            var units = new long[s.Fabrics.Count];
            for (var i = 0; i < s.Deliveries.Count; i++)
            {
                var d = s.Deliveries[i];
                if (d.Units > 0 && d.Fabric.Value is { } id && _fabrics.TryGetValue(id, out var f)) units[f] += d.Units;
            }
            for (var f = 0; f < s.Fabrics.Count; f++)
            {
                var fabric = s.Fabrics[f];
                if (fabric.MaxUnits > 0 && units[f] > fabric.MaxUnits && _fabrics[fabric.Id.Value] == f)
                    Add($"fabrics[{f}].max_units",
                        $"deliveries bring {ModelText.Int(units[f])} units into fabric '{fabric.Id}', which holds at most {ModelText.Int(fabric.MaxUnits)}");
            }
        }

        private void CheckPower()
        {
            // One sweep per site over its deliveries in date order, merged with its power steps: O(n log n).
            var perSite = new List<(DateTime At, decimal Kw, int Delivery)>?[s.Sites.Count];
            for (var i = 0; i < s.Deliveries.Count; i++)
            {
                var d = s.Deliveries[i];
                if (d.Units <= 0 || d.Fabric.Value is not { } fid || !_fabrics.TryGetValue(fid, out var f)) continue;
                var fabric = s.Fabrics[f];
                if (fabric.Site.Value is not { } sid || !_sites.TryGetValue(sid, out var si)) continue;
                var platform = PlatformOf(fabric.Platform);
                if (platform is null || platform.UnitKw <= 0) continue;
                (perSite[si] ??= []).Add((d.AcceptanceDate, d.Units * platform.UnitKw, i));
            }
            for (var si = 0; si < s.Sites.Count; si++)
            {
                if (perSite[si] is { } events) SweepSite(si, events);
            }
        }

        // The envelope is what is at fault (a delivery is only the last straw), so the issue names the site's power
        // step in effect, or its power list when none is yet; the message names the instant and the last delivery.
        private static string OverPath(int siteIndex, int step) =>
            step >= 0 ? $"sites[{siteIndex}].power[{step}].mw" : $"sites[{siteIndex}].power";

        private string OverMessage(Site site, DateTime t, decimal needKw, decimal availKw, int step, int delivery)
        {
            var envelope = step >= 0 ? "" : site.Power.Count == 0 ? ": the site lists no power" : ", before its first power step";
            var last = delivery < 0 ? "" : $" (the last to arrive: deliveries[{delivery}] '{s.Deliveries[delivery].Id}', {ModelText.Int(s.Deliveries[delivery].Units)} units)";
            return $"on {ModelText.Date(t)} site '{site.Id}' needs {ModelText.Short(needKw)} kW for the deliveries accepted by then but its power envelope is {ModelText.Short(availKw)} kW{envelope}{last}";
        }

        private void SweepSite(int siteIndex, List<(DateTime At, decimal Kw, int Delivery)> events)
        {
            var site = s.Sites[siteIndex];
            // Stable by delivery index within a date, so the delivery named in a message is deterministic.
            events.Sort(static (a, b) => a.At != b.At ? a.At.CompareTo(b.At) : a.Delivery.CompareTo(b.Delivery));
            var steps = new int[site.Power.Count];
            for (var k = 0; k < steps.Length; k++) steps[k] = k;
            Array.Sort(steps, (a, b) =>
            {
                var c = site.Power[a].From.CompareTo(site.Power[b].From);
                return c != 0 ? c : a.CompareTo(b);
            });

            var needKw = 0m;
            var availKw = 0m;
            var over = false;
            var inEffect = -1;
            int e = 0, k2 = 0;
            while (e < events.Count || k2 < steps.Length)
            {
                var t = e < events.Count ? events[e].At : DateTime.MaxValue;
                if (k2 < steps.Length && site.Power[steps[k2]].From < t) t = site.Power[steps[k2]].From;
                while (k2 < steps.Length && site.Power[steps[k2]].From == t)
                {
                    availKw = site.Power[steps[k2]].Mw * 1000m;
                    inEffect = steps[k2];
                    k2++;
                }
                var lastDelivery = -1;
                while (e < events.Count && events[e].At == t)
                {
                    // Saturates: units and kW are each bounded by the reader, but enough of them summed could pass
                    // decimal's range, and past any envelope the exact figure no longer matters.
                    needKw = needKw > decimal.MaxValue - events[e].Kw ? decimal.MaxValue : needKw + events[e].Kw;
                    lastDelivery = events[e].Delivery;
                    e++;
                }
                if (needKw > availKw)
                {
                    if (!over) Add(OverPath(siteIndex, inEffect), OverMessage(site, t, needKw, availKw, inEffect, lastDelivery));
                    over = true;
                }
                else
                {
                    over = false;
                }
            }
        }
    }
}
