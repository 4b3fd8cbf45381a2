using System.Globalization;
using Lessor.Core.Ledger;
using Lessor.Core.Model;

namespace Lessor.Server.Desk;

/// <summary>One line of a proposed deal as a client sends it (API body, CLI flags or a deal file).</summary>
public sealed record DealLineBody
{
    public string? Id { get; init; }
    public string? Platform { get; init; }
    public int? Gpus { get; init; }
    public DateTime? Start { get; init; }
    public DateTime? End { get; init; }
    public Locality? Locality { get; init; }
    public int? BlockSize { get; init; }
    public int? MinSites { get; init; }
    public Money? PricePerGpuHour { get; init; }
}

/// <summary>A proposed deal as a client sends it.</summary>
public sealed record DealBody
{
    public string? Customer { get; init; }
    public IReadOnlyList<DealLineBody>? Lines { get; init; }
}

/// <summary>
/// Turns a client's deal into a <see cref="DealRequest"/> against the current book, collecting every problem
/// keyed by its field path (<c>lines[0].gpus</c>) so the API and the CLI report the same precise errors.
/// </summary>
public static class DealInput
{
    public static (DealRequest? Deal, IReadOnlyDictionary<string, string[]> Errors) Build(Scenario book, DealBody? body)
    {
        var errors = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        void Add(string field, string message)
        {
            if (!errors.TryGetValue(field, out var list)) errors[field] = list = [];
            list.Add(message);
        }

        if (body is null)
        {
            Add("body", "a deal with a customer and at least one line is required.");
            return (null, Freeze(errors));
        }
        CustomerId customer = default;
        if (string.IsNullOrWhiteSpace(body.Customer)) Add("customer", "required.");
        else if (book.Customers.All(c => c.Id.Value != body.Customer))
            Add("customer", Suggest.NoCustomer(book, body.Customer));
        else customer = new CustomerId(body.Customer);

        var lines = new List<DealLine>();
        // A line's id as the ledger will know it (L1, L2... when not given): two lines with one id are refused there.
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        if (body.Lines is null || body.Lines.Count == 0) Add("lines", "at least one line is required.");
        for (var i = 0; i < (body.Lines?.Count ?? 0); i++)
        {
            var l = body.Lines![i];
            var at = $"lines[{i}]";
            if (l is null)
            {
                Add(at, "required: a line with platform, gpus, start and end.");
                continue;
            }
            if (l.Id is { Length: > 0 } named && !Slug.IsValid(named)) Add($"{at}.id", $"'{(named.Length > 40 ? named[..40] + "..." : named)}' is not a valid id: {Slug.Rule}.");
            var lineId = l.Id is { Length: > 0 } given ? given : $"L{i + 1}";
            if (ids.TryGetValue(lineId, out var twin)) Add($"{at}.id", $"'{lineId}' is also the id of lines[{twin}].");
            else ids[lineId] = i;
            var platform = l.Platform is null ? null : book.FindPlatform(l.Platform);
            if (l.Platform is null) Add($"{at}.platform", "required.");
            else if (platform is null) Add($"{at}.platform", Suggest.NoPlatform(book, l.Platform));

            if (l.Gpus is null) Add($"{at}.gpus", "required.");
            else if (l.Gpus <= 0) Add($"{at}.gpus", $"{l.Gpus} must be positive.");
            else if (platform is not null && l.Gpus % platform.GpusPerUnit != 0)
                Add($"{at}.gpus", $"{l.Gpus} is not a multiple of {platform.GpusPerUnit}, the unit of {platform.Id} (nearest: {Nearest(l.Gpus.Value, platform.GpusPerUnit)}).");

            if (l.BlockSize is { } b)
            {
                if (b <= 0) Add($"{at}.block_size", $"{b} must be positive.");
                else if (platform is not null && b % platform.GpusPerUnit != 0)
                    Add($"{at}.block_size", $"{b} is not a multiple of {platform.GpusPerUnit}, the unit of {platform.Id}.");
            }
            if (l.MinSites is < 1) Add($"{at}.min_sites", $"{l.MinSites} must be at least 1.");
            else if (l.MinSites is > 1 && l.Locality is Locality.Fabric or Locality.Site)
                Add($"{at}.min_sites", $"{l.MinSites} sites cannot hold with locality {l.Locality.Value.ToString().ToLowerInvariant()}, which keeps every GPU in one site.");
            if (l.Start is null) Add($"{at}.start", "required.");
            if (l.End is null) Add($"{at}.end", "required.");
            if (l.Start is { } s0 && l.End is { } e0 && e0 <= s0)
                Add($"{at}.end", $"{Day(e0)} is not after the start {Day(s0)} (periods are [start, end)).");
            foreach (var (name, t) in new[] { ("start", l.Start), ("end", l.End) })
            {
                if (t is { } v && v.Ticks % TimeSpan.TicksPerMinute != 0) Add($"{at}.{name}", $"{v:O} is not on a whole minute.");
                if (DateInput.Refusal(t) is { } far) Add($"{at}.{name}", far);
            }
            if (l.PricePerGpuHour is { } price)
            {
                if (price.Currency != book.Currency) Add($"{at}.price_per_gpu_hour", $"{price.Currency} differs from the book's currency {book.Currency}.");
                if (price.Amount < 0) Add($"{at}.price_per_gpu_hour", $"{price.Amount.ToString(CultureInfo.InvariantCulture)} is negative.");
            }
            var priced = l.PricePerGpuHour?.Amount ?? platform?.Prices.Reserved.Amount;
            if (priced is { } pr && l.Gpus is > 0 && l.Start is { } ls && l.End is { } le && le > ls
                && Limits.LineValueProblem(l.Gpus.Value, new Period(DateTime.SpecifyKind(ls, DateTimeKind.Utc), DateTime.SpecifyKind(le, DateTimeKind.Utc)), pr) is { } big)
                Add(pr > Limits.MaxPricePerGpuHour ? $"{at}.price_per_gpu_hour" : $"{at}.gpus", big + ".");
            if (errors.Count > 0 || platform is null || l.Gpus is null || l.Start is null || l.End is null) continue;
            lines.Add(new DealLine
            {
                Id = l.Id is { Length: > 0 } id ? new LineId(id) : null,
                Platform = platform.Id,
                Gpus = new GpuCount(l.Gpus.Value),
                Period = new Period(l.Start.Value, l.End.Value),
                Locality = l.Locality ?? Locality.Any,
                BlockSize = l.BlockSize is { } bs ? new GpuCount(bs) : null,
                MinSites = l.MinSites ?? 1,
                PricePerGpuHour = l.PricePerGpuHour,
            });
        }
        return errors.Count > 0 ? (null, Freeze(errors)) : (new DealRequest(customer, lines), Freeze(errors));
    }

    private static string Nearest(int gpus, int unit)
    {
        var below = gpus / unit * unit;
        return below == 0
            ? unit.ToString("N0", CultureInfo.InvariantCulture)
            : $"{below.ToString("N0", CultureInfo.InvariantCulture)} or {(below + unit).ToString("N0", CultureInfo.InvariantCulture)}";
    }

    private static string Day(DateTime t) => t.ToString(t.TimeOfDay == TimeSpan.Zero ? "yyyy-MM-dd" : "yyyy-MM-ddTHH:mmZ", CultureInfo.InvariantCulture);

    private static Dictionary<string, string[]> Freeze(Dictionary<string, List<string>> errors) =>
        errors.ToDictionary(kv => kv.Key, kv => kv.Value.ToArray(), StringComparer.Ordinal);
}
