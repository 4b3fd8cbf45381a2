namespace Lessor.Core.Model;

// Contract, line and pinned-placement rules of the validator.
public static partial class ScenarioValidator
{
    private sealed partial class Run
    {
        private void CheckContract(int ci)
        {
            var c = s.Contracts[ci];
            var at = $"contracts[{ci}]";
            var owner = $"contract '{c.Id}'";
            if (c.Customer.Value is null || !_customers.ContainsKey(c.Customer.Value))
                Add($"{at}.customer", $"customer '{c.Customer}' is not defined under customers");
            if (c.HeadlineValue is { } headline) MoneyIn($"{at}.headline_value", "headline_value", headline, c.Currency, owner);
            if (c.Prepayment is { } prepayment) MoneyIn($"{at}.prepayment", "prepayment", prepayment, c.Currency, owner);
            if (c.BackstopCap is { } cap) MoneyIn($"{at}.backstop_cap", "backstop_cap", cap, c.Currency, owner);
            if (c.BackstopPeriod is { } bp) CheckPeriod($"{at}.backstop_period", bp);
            if (c.Kind == ContractKind.Backstop)
            {
                if (c.BackstopCap is null) Add($"{at}.backstop_cap", "a backstop contract needs backstop_cap, the most it will pay");
                if (c.BackstopPeriod is null) Add($"{at}.backstop_period", "a backstop contract needs backstop_period, when it buys unsold capacity");
            }
            if (c.Sla is { } sla)
            {
                Fraction($"{at}.sla.availability_target", "availability_target", sla.AvailabilityTarget, zeroAllowed: false);
                Fraction($"{at}.sla.credit_fraction", "credit_fraction", sla.CreditFraction, zeroAllowed: true);
                Fraction($"{at}.sla.credit_cap_fraction", "credit_cap_fraction", sla.CreditCapFraction, zeroAllowed: true);
                if (sla.MaintenanceNoticeDays < 0)
                    Add($"{at}.sla.maintenance_notice_days", $"maintenance_notice_days cannot be negative, not {ModelText.Int(sla.MaintenanceNoticeDays)}");
                for (var ti = 0; ti < sla.Tiers.Count; ti++)
                {
                    var tier = sla.Tiers[ti];
                    Fraction($"{at}.sla.tiers[{ti}].below", "below", tier.Below, zeroAllowed: false);
                    Fraction($"{at}.sla.tiers[{ti}].credit_fraction", "credit_fraction", tier.CreditFraction, zeroAllowed: true);
                    if (ti > 0 && tier.Below >= sla.Tiers[ti - 1].Below)
                        Add($"{at}.sla.tiers[{ti}].below", $"tiers go deeper in order: below {ModelText.Short(tier.Below)} is not under the previous tier's {ModelText.Short(sla.Tiers[ti - 1].Below)}");
                    if (ti > 0 && tier.CreditFraction < sla.Tiers[ti - 1].CreditFraction)
                        Add($"{at}.sla.tiers[{ti}].credit_fraction", $"a deeper tier cannot credit less: {ModelText.Short(tier.CreditFraction)} is under the previous tier's {ModelText.Short(sla.Tiers[ti - 1].CreditFraction)}");
                }
            }
            if (c.CancellationTerms is { } terms)
            {
                Fraction($"{at}.cancellation_terms.fee_fraction", "fee_fraction", terms.FeeFraction, zeroAllowed: true);
                if (terms.NoticeDays < 0)
                    Add($"{at}.cancellation_terms.notice_days", $"notice_days cannot be negative, not {ModelText.Int(terms.NoticeDays)}");
            }
            if (c.Cancellation is { } cancel)
            {
                MoneyIn($"{at}.cancellation.fee", "cancellation fee", cancel.Fee, c.Currency, owner);
                if (cancel.EffectiveOn < c.SignedOn)
                    Add($"{at}.cancellation.effective_on",
                        $"cancelled on {ModelText.Date(cancel.EffectiveOn)}, before the contract was signed on {ModelText.Date(c.SignedOn)}");
            }

            var lineIds = new Dictionary<string, int>(StringComparer.Ordinal);
            for (var li = 0; li < c.Lines.Count; li++)
            {
                var line = c.Lines[li];
                var lat = $"{at}.lines[{li}]";
                if (string.IsNullOrWhiteSpace(line.Id.Value))
                    Add($"{lat}.id", "the id is empty");
                else if (!lineIds.TryAdd(line.Id.Value, li))
                    Add($"{lat}.id", $"duplicate line id '{line.Id}' in {owner}, already used by {at}.lines[{lineIds[line.Id.Value]}]");
                CheckLine(lat, line, c, ci);
            }

            var latestByLine = new Dictionary<string, (DateTime On, int Index)>(StringComparer.Ordinal);
            for (var ai = 0; ai < c.Amendments.Count; ai++)
            {
                var a = c.Amendments[ai];
                var aat = $"{at}.amendments[{ai}]";
                // A line's amendments apply in date order: one dated before an earlier one would overlap the stretches
                // of the line's history (the line counted twice from its date).
                if (a.Line is { Value: not null } amended && a.Kind != AmendmentKind.Cancel)
                {
                    if (latestByLine.TryGetValue(amended.Value, out var latest) && a.EffectiveOn < latest.On)
                        Add($"{aat}.effective_on",
                            $"effective on {ModelText.Date(a.EffectiveOn)}, before {at}.amendments[{latest.Index}] of the same line (effective {ModelText.Date(latest.On)}); a line's amendments apply in date order");
                    else latestByLine[amended.Value] = (a.EffectiveOn, ai);
                }
                if (ai > 0 && a.Sequence <= c.Amendments[ai - 1].Sequence)
                    Add($"{aat}.sequence",
                        $"amendments must be in sequence order: {ModelText.Int(a.Sequence)} does not come after {ModelText.Int(c.Amendments[ai - 1].Sequence)}");
                if (a.EffectiveOn < c.SignedOn)
                    Add($"{aat}.effective_on",
                        $"effective on {ModelText.Date(a.EffectiveOn)}, before the contract was signed on {ModelText.Date(c.SignedOn)}");
                if (a.Line is { } lineId && (lineId.Value is null || !lineIds.ContainsKey(lineId.Value)))
                    Add($"{aat}.line", $"line '{lineId}' is not a line of {owner}");
                if (a.Before is { } before) CheckLine($"{aat}.before", before, c, ci);
                if (a.After is { } after) CheckLine($"{aat}.after", after, c, ci);
            }
        }

        private void CheckPeriod(string at, Period p)
        {
            if (p.End <= p.Start)
                Add($"{at}.end", $"the period ends {ModelText.Date(p.End)}, not after its start {ModelText.Date(p.Start)} (end is exclusive)");
        }

        private void CheckLine(string at, ContractLine line, Contract c, int ci)
        {
            CheckPeriod($"{at}.period", line.Period);
            MoneyIn($"{at}.price_per_gpu_hour", "price_per_gpu_hour", line.PricePerGpuHour, c.Currency, $"contract '{c.Id}'");
            if (line.Gpus.Value > 0 && line.Period.End > line.Period.Start && Limits.LineValueProblem(line.Gpus.Value, line.Period, line.PricePerGpuHour.Amount) is { } big)
                Add(line.PricePerGpuHour.Amount > Limits.MaxPricePerGpuHour ? $"{at}.price_per_gpu_hour" : $"{at}.gpus", big);
            Positive($"{at}.gpus", "gpus", line.Gpus.Value);
            if (line.MinSites < 1) Add($"{at}.min_sites", $"min_sites must be at least 1, not {ModelText.Int(line.MinSites)}");
            else if (line.MinSites > 1 && line.Locality is Locality.Fabric or Locality.Site)
                Add($"{at}.min_sites",
                    $"min_sites {ModelText.Int(line.MinSites)} cannot hold with locality {Lower(line.Locality)}, which keeps every GPU in one site");
            if (line.BlockSize is { } bs0) Positive($"{at}.block_size", "block_size", bs0.Value);

            if (line.Option is { } option)
            {
                if (option.ExercisedOn is { } on && on > option.ExerciseBy)
                    Add($"{at}.option.exercised_on",
                        $"exercised on {ModelText.Date(on)}, after the last exercise date {ModelText.Date(option.ExerciseBy)}");
                if (option.ExercisedUnder is { } under)
                {
                    if (under.Value is null || !_contracts.ContainsKey(under.Value))
                        Add($"{at}.option.exercised_under", $"contract '{under}' is not defined under contracts");
                    else if (under == c.Id)
                        Add($"{at}.option.exercised_under", $"an option cannot be exercised under its own contract '{under}'");
                    if (option.ExercisedOn is null)
                        Add($"{at}.option.exercised_on", $"the option names contract '{under}' it was exercised under but has no exercised_on date");
                }
            }

            var platform = PlatformOf(line.Platform);
            if (platform is null)
            {
                Add($"{at}.platform", $"platform '{line.Platform}' is not defined under platforms");
                return;
            }
            var unit = platform.GpusPerUnit;
            if (unit <= 0) return;
            if (line.Gpus.Value > 0 && line.Gpus.Value % unit != 0)
                Add($"{at}.gpus", $"{ModelText.Int(line.Gpus.Value)} is not a multiple of {ModelText.Int(unit)}, the unit of {platform.Id}");
            var blockUnits = 0;
            if (line.BlockSize is { Value: > 0 } bs)
            {
                if (bs.Value % unit != 0)
                    Add($"{at}.block_size", $"{ModelText.Int(bs.Value)} is not a multiple of {ModelText.Int(unit)}, the unit of {platform.Id}");
                else if (bs.Value > line.Gpus.Value)
                    Add($"{at}.block_size", $"block size {ModelText.Int(bs.Value)} is larger than the line's {ModelText.Int(line.Gpus.Value)} GPUs");
                else
                    blockUnits = bs.Value / unit;
            }
            if (line.Pinned.Count > 0) CheckPinned(at, line, platform, blockUnits);
        }

        private void CheckPinned(string at, ContractLine line, Platform platform, int blockUnits)
        {
            long units = 0;
            var complete = true;
            // Units per fabric, merged when a planner lists one fabric twice; small, so a list beats a dictionary.
            var perFabric = new List<(Fabric Fabric, long Units)>();
            for (var b = 0; b < line.Pinned.Count; b++)
            {
                var block = line.Pinned[b];
                var bat = $"{at}.pinned[{b}]";
                Positive($"{bat}.units", "units", block.Units);
                units += block.Units;
                var fabric = FabricOf(block.Fabric);
                if (fabric is null)
                {
                    Add($"{bat}.fabric", $"fabric '{block.Fabric}' is not defined under fabrics");
                    complete = false;
                    continue;
                }
                if (fabric.Platform != line.Platform)
                {
                    Add($"{bat}.fabric", $"fabric '{fabric.Id}' holds {fabric.Platform}, not the line's {platform.Id}");
                    complete = false;
                }
                var found = false;
                for (var j = 0; j < perFabric.Count; j++)
                {
                    if (perFabric[j].Fabric.Id != fabric.Id) continue;
                    perFabric[j] = (fabric, perFabric[j].Units + block.Units);
                    found = true;
                    break;
                }
                if (!found) perFabric.Add((fabric, block.Units));
            }

            var pinnedGpus = units * platform.GpusPerUnit;
            if (pinnedGpus != line.Gpus.Value)
                Add($"{at}.pinned",
                    $"pinned blocks hold {ModelText.Int(units)} units = {ModelText.Int(pinnedGpus)} GPUs of {platform.Id}, but the line has {ModelText.Int(line.Gpus.Value)} GPUs");
            if (!complete || perFabric.Count == 0) return;

            var sites = new List<Site>();
            for (var j = 0; j < perFabric.Count; j++)
            {
                var site = SiteOf(perFabric[j].Fabric.Site);
                // A fabric at an undefined site is already reported under fabrics; counting sites without it would mislead.
                if (site is null) return;
                if (!sites.Contains(site)) sites.Add(site);
            }
            switch (line.Locality)
            {
                case Locality.Fabric when perFabric.Count > 1:
                    Add($"{at}.pinned", $"locality fabric keeps the line in one fabric, but it is pinned to {ModelText.Int(perFabric.Count)} fabrics ({FabricNames(perFabric)})");
                    break;
                case Locality.Site when sites.Count > 1:
                    Add($"{at}.pinned", $"locality site keeps the line in one site, but it is pinned to {ModelText.Int(sites.Count)} sites ({string.Join(", ", sites.Select(x => x.Id.Value))})");
                    break;
                case Locality.Region:
                    var regions = sites.Select(x => x.Region.Value).Distinct(StringComparer.Ordinal).ToList();
                    if (regions.Count > 1)
                        Add($"{at}.pinned", $"locality region keeps the line in one region, but it is pinned to {ModelText.Int(regions.Count)} regions ({string.Join(", ", regions)})");
                    break;
                default:
                    break;
            }
            if (sites.Count < line.MinSites)
                Add($"{at}.pinned", $"min_sites is {ModelText.Int(line.MinSites)}, but the pinned blocks sit in {ModelText.Int(sites.Count)} site{(sites.Count == 1 ? "" : "s")}");

            if (blockUnits > 0 && pinnedGpus == line.Gpus.Value) CheckBlocks(at, line, perFabric, units, blockUnits);
        }

        private void CheckBlocks(string at, ContractLine line, List<(Fabric Fabric, long Units)> perFabric, long units, int blockUnits)
        {
            // Blocks of B units each stay in one fabric, plus one remainder block: so every fabric holds whole
            // blocks except at most one, which holds whole blocks plus exactly the remainder.
            var remainder = units % blockUnits;
            var partial = new List<string>();
            var remainderPlaced = false;
            for (var j = 0; j < perFabric.Count; j++)
            {
                var r = perFabric[j].Units % blockUnits;
                if (r == 0) continue;
                if (r == remainder && !remainderPlaced)
                {
                    remainderPlaced = true;
                    continue;
                }
                partial.Add($"{perFabric[j].Fabric.Id} ({ModelText.Int(perFabric[j].Units)} units)");
            }
            if (partial.Count > 0)
                Add($"{at}.pinned",
                    $"block size {ModelText.Int(line.BlockSize!.Value.Value)} GPUs ({ModelText.Int(blockUnits)} units) keeps each block in one fabric, but {string.Join(", ", partial)} would split a block");
        }

        private static string FabricNames(List<(Fabric Fabric, long Units)> perFabric) =>
            string.Join(", ", perFabric.Select(x => x.Fabric.Id.Value));
    }
}
