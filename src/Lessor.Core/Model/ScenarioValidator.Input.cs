using System.Globalization;

namespace Lessor.Core.Model;

// What a scenario may hold at all, whatever it means (issue 11): dates inside Utc.SupportedRange, ids that are slugs,
// names that are not blank, and text the stores can keep. Kept apart from the meaning checks so that every field
// of every kind is visited once, in one place, and a new field cannot be forgotten by one rule but not another.
public static partial class ScenarioValidator
{
    private sealed partial class Run
    {
        private void CheckInput()
        {
            Text("name", s.Name);
            Text("description", s.Description);
            for (var i = 0; i < s.Platforms.Count; i++)
            {
                var p = s.Platforms[i];
                var at = $"platforms[{i}]";
                Name($"{at}.name", p.Name);
                Name($"{at}.vendor", p.Vendor);
                for (var a = 0; a < p.Aliases.Count; a++) Text($"{at}.aliases[{a}]", p.Aliases[a]);
                Date($"{at}.available_from", p.AvailableFrom);
            }
            for (var i = 0; i < s.Regions.Count; i++) Name($"regions[{i}].name", s.Regions[i].Name);
            for (var i = 0; i < s.Sites.Count; i++)
            {
                var site = s.Sites[i];
                Name($"sites[{i}].name", site.Name);
                for (var k = 0; k < site.Power.Count; k++) Date($"sites[{i}].power[{k}].from", site.Power[k].From);
            }
            for (var i = 0; i < s.Deliveries.Count; i++)
            {
                var d = s.Deliveries[i];
                var at = $"deliveries[{i}]";
                Date($"{at}.ordered_on", d.OrderedOn);
                Date($"{at}.acceptance_date", d.AcceptanceDate);
                Date($"{at}.original_acceptance_date", d.OriginalAcceptanceDate);
            }
            for (var i = 0; i < s.Customers.Count; i++) Name($"customers[{i}].name", s.Customers[i].Name);
            for (var i = 0; i < s.Contracts.Count; i++) ContractInput(i);
        }

        private void ContractInput(int ci)
        {
            var c = s.Contracts[ci];
            var at = $"contracts[{ci}]";
            Date($"{at}.signed_on", c.SignedOn);
            Text($"{at}.title", c.Title);
            if (c.BackstopPeriod is { } bp) PeriodInput($"{at}.backstop_period", bp);
            if (c.Cancellation is { } cancel)
            {
                Date($"{at}.cancellation.effective_on", cancel.EffectiveOn);
                Text($"{at}.cancellation.reason", cancel.Reason);
            }
            for (var li = 0; li < c.Lines.Count; li++) LineInput($"{at}.lines[{li}]", c.Lines[li]);
            for (var ai = 0; ai < c.Amendments.Count; ai++)
            {
                var a = c.Amendments[ai];
                var aat = $"{at}.amendments[{ai}]";
                Date($"{aat}.effective_on", a.EffectiveOn);
                Text($"{aat}.note", a.Note);
                if (a.Before is { } before) LineInput($"{aat}.before", before);
                if (a.After is { } after) LineInput($"{aat}.after", after);
            }
        }

        private void LineInput(string at, ContractLine line)
        {
            // Empty and duplicate line ids are the contract check's; only the form is checked here.
            if (!string.IsNullOrWhiteSpace(line.Id.Value)) Id($"{at}.id", line.Id.Value);
            PeriodInput($"{at}.period", line.Period);
            if (line.Option is { } option)
            {
                Date($"{at}.option.exercise_by", option.ExerciseBy);
                Date($"{at}.option.exercised_on", option.ExercisedOn);
            }
        }

        private void PeriodInput(string at, Period p)
        {
            // Only a default Period can be empty; the period check reports it, and its year 1 is no second problem.
            if (p.End <= p.Start) return;
            Date($"{at}.start", p.Start);
            Date($"{at}.end", p.End);
        }

        private void Date(string path, DateTime? t)
        {
            if (t is { } v && !Utc.InSupportedRange(v)) Add(path, Utc.OutOfRangeMessage(v));
        }

        /// <summary>Reports an id that breaks <see cref="Slug"/>; true when it is a slug.</summary>
        private bool Id(string path, string id)
        {
            if (Slug.IsValid(id)) return true;
            Add(path, $"{Quote(id)} is not an id: {Slug.Rule}");
            return false;
        }

        private void Name(string path, string? name)
        {
            if (string.IsNullOrWhiteSpace(name)) Add(path, "the name is empty");
            else Text(path, name);
        }

        /// <summary>
        /// NUL cannot be stored (PostgreSQL text refuses it) and an unpaired surrogate is not Unicode (it cannot be
        /// written as UTF-8 without being replaced), so either would make a file that validates fail to import or
        /// come back changed.
        /// </summary>
        private void Text(string path, string? text)
        {
            if (text is null) return;
            for (var i = 0; i < text.Length; i++)
            {
                var c = text[i];
                if (c == '\0')
                {
                    Add(path, "the text holds a NUL character (U+0000), which the stores cannot keep");
                    return;
                }
                if (!char.IsSurrogate(c)) continue;
                if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
                {
                    i++;
                    continue;
                }
                Add(path, $"the text holds an unpaired surrogate (U+{(int)c:X4}), which is not Unicode text");
                return;
            }
        }

        /// <summary>A value quoted for a message, cut short when long so that a huge value cannot make a huge message.</summary>
        private static string Quote(string value) =>
            value.Length <= 40
                ? $"'{value}'"
                : $"'{value[..40]}…' ({value.Length.ToString("N0", CultureInfo.InvariantCulture)} characters)";
    }
}
