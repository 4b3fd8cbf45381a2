using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Lessor.Server.Api;

/// <summary>One page of a listing, with the total so a client knows how far to go.</summary>
public sealed record Page<T>(IReadOnlyList<T> Items, int Total, int Offset, int Limit);

/// <summary>Offset/limit paging shared by every listing; bad values are a validation problem naming the field.</summary>
internal static class Paging
{
    public const int DefaultLimit = 100;
    public const int MaxLimit = 1000;

    public static Results<Ok<Page<T>>, ValidationProblem> Slice<T>(IReadOnlyList<T> all, int? offset, int? limit)
    {
        var errors = new Dictionary<string, string[]>();
        var o = offset ?? 0;
        var l = limit ?? DefaultLimit;
        if (o < 0) errors["offset"] = [$"{o} is negative; offsets start at 0."];
        if (l is < 1 or > MaxLimit) errors["limit"] = [$"{l} is outside 1..{MaxLimit}."];
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors);
        var items = all.Skip(o).Take(l).ToList();
        return TypedResults.Ok(new Page<T>(items, all.Count, o, l));
    }
}
