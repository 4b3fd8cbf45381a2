namespace Lessor.Server.Desk;

/// <summary>"Did you mean ...?" for a mistyped id, name or alias: the nearest known one, when it is near enough to be a typo.</summary>
public static class Suggest
{
    /// <summary>
    /// The candidate nearest to <paramref name="typed"/> by optimal string alignment distance (Damerau-Levenshtein
    /// where no substring is edited twice), ignoring case; null when even the nearest needs more than a third of the
    /// typed text changed (at least one edit, and fewer edits than the typed text has characters). Ties go to the
    /// candidate first in ordinal order, so the answer does not depend on the candidates' order.
    /// </summary>
    public static string? Nearest(string typed, IEnumerable<string> candidates)
    {
        ArgumentNullException.ThrowIfNull(candidates);
        return Nearest(typed, candidates.Select(c => (c, c)));
    }

    /// <summary>As <see cref="Nearest(string, IEnumerable{string})"/>, matching each key and answering what to show for it (a name's id).</summary>
    public static string? Nearest(string typed, IEnumerable<(string Key, string Show)> candidates)
    {
        ArgumentNullException.ThrowIfNull(typed);
        ArgumentNullException.ThrowIfNull(candidates);
        var needle = typed.Trim().ToLowerInvariant();
        if (needle.Length == 0) return null;
        var limit = Math.Max(1, needle.Length / 3);
        string? best = null;
        var bestDistance = int.MaxValue;
        foreach (var (key, show) in candidates)
        {
            if (string.IsNullOrEmpty(key)) continue;
            var d = Distance(needle, key.ToLowerInvariant());
            if (d > limit || d >= needle.Length) continue;
            if (d < bestDistance || (d == bestDistance && string.CompareOrdinal(show, best) < 0))
            {
                best = show;
                bestDistance = d;
            }
        }
        return best;
    }

    /// <summary>
    /// <paramref name="message"/> (a sentence ending in a period) with "; did you mean 'X'?" in place of the period when
    /// a candidate is near <paramref name="typed"/>; else the message unchanged.
    /// </summary>
    public static string WithNearest(string message, string typed, IEnumerable<string> candidates) =>
        With(message, Nearest(typed, candidates));

    /// <summary>"no customer 'metaa'; did you mean 'meta'?": matched over customer ids and names, suggesting the id.</summary>
    public static string NoCustomer(Core.Model.Scenario book, string typed)
    {
        ArgumentNullException.ThrowIfNull(book);
        return With($"no customer '{typed}'.", Nearest(typed, book.Customers.SelectMany(c => new[] { (c.Id.Value, c.Id.Value), (c.Name, c.Id.Value) })));
    }

    /// <summary>"no platform or alias 'NVL14' in the catalog; did you mean 'NVL144'?": matched over ids, names and aliases.</summary>
    public static string NoPlatform(Core.Model.Scenario book, string typed) =>
        WithNearest($"no platform or alias '{typed}' in the catalog.", typed, PlatformNames(book));

    private static string With(string message, string? near)
    {
        ArgumentNullException.ThrowIfNull(message);
        return near is null ? message : $"{message.TrimEnd('.')}; did you mean '{near}'?";
    }

    /// <summary>Every string a platform can be named by: its id, its name and its aliases.</summary>
    public static IEnumerable<string> PlatformNames(Core.Model.Scenario book)
    {
        ArgumentNullException.ThrowIfNull(book);
        foreach (var p in book.Platforms)
        {
            yield return p.Id.Value;
            if (!string.IsNullOrEmpty(p.Name)) yield return p.Name;
            foreach (var alias in p.Aliases) yield return alias;
        }
    }

    /// <summary>Insertions, deletions, substitutions and swaps of two adjacent characters, each costing one.</summary>
    internal static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++) d[i, 0] = i;
        for (var j = 0; j <= b.Length; j++) d[0, j] = j;
        for (var i = 1; i <= a.Length; i++)
        {
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                var v = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) v = Math.Min(v, d[i - 2, j - 2] + 1);
                d[i, j] = v;
            }
        }
        return d[a.Length, b.Length];
    }
}
