using System.Globalization;
using Lessor.Core.Ledger;
using Lessor.Core.Model;

namespace Lessor.Server.Desk;

/// <summary>A block as clients write it: units of the line's platform in one fabric.</summary>
public sealed record BlockBody(string? Fabric, int? Units);

/// <summary>One line's move as clients write it (and as plans are written): where it sits, and where it goes.</summary>
public sealed record MoveBody(string? Contract, string? Line, IReadOnlyList<BlockBody>? From, IReadOnlyList<BlockBody>? To);

/// <summary>
/// A re-placement plan as the CLI writes it to a file and the API returns it: the instant lines are judged started,
/// the moves, and the stranding they change. Applying reads only <c>moves</c>: lines are judged started when applied.
/// </summary>
public sealed record PlacementPlanBody
{
    public DateTime? AsOf { get; init; }
    public Period? Window { get; init; }
    public int? MinDealGpus { get; init; }
    public IReadOnlyList<MoveBody>? Moves { get; init; }
    public decimal? StrandedGpuHoursBefore { get; init; }
    public decimal? StrandedGpuHoursAfter { get; init; }
    public decimal? FreeGpuHours { get; init; }
    public int? MovableLines { get; init; }
    public int? FrozenLines { get; init; }

    /// <summary>The plan as clients read it.</summary>
    public static PlacementPlanBody Of(ReplacementPlan plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        return new PlacementPlanBody
        {
            AsOf = plan.AsOf, Window = plan.Window, MinDealGpus = plan.MinDealGpus, Moves = [.. plan.Moves.Select(PlacementInput.Body)],
            StrandedGpuHoursBefore = plan.Before.StrandedGpuHours, StrandedGpuHoursAfter = plan.After.StrandedGpuHours,
            FreeGpuHours = plan.Before.FreeGpuHours, MovableLines = plan.MovableLines, FrozenLines = plan.FrozenLines,
        };
    }
}

/// <summary>Turns clients' moves into <see cref="LineMove"/>s, naming every problem by its field path (<c>moves[2].to[0].units</c>).</summary>
public static class PlacementInput
{
    /// <summary>A move as clients read it.</summary>
    public static MoveBody Body(LineMove move)
    {
        ArgumentNullException.ThrowIfNull(move);
        return new MoveBody(move.Line.Contract.Value, move.Line.Line.Value,
            [.. move.From.Select(b => new BlockBody(b.Fabric.Value, b.Units))], [.. move.To.Select(b => new BlockBody(b.Fabric.Value, b.Units))]);
    }

    /// <summary>The moves of a plan body, or every problem found (nothing is half-read).</summary>
    public static (IReadOnlyList<LineMove>? Moves, IReadOnlyDictionary<string, string[]> Errors) Build(Scenario book, PlacementPlanBody? body)
    {
        ArgumentNullException.ThrowIfNull(book);
        var errors = new Dictionary<string, string[]>();
        if (body?.Moves is not { } moves)
        {
            errors["moves"] = ["required: the moves to apply (a plan from `placement optimize --dry-run`)."];
            return (null, errors);
        }
        var fabrics = book.Fabrics.Select(f => f.Id.Value).ToHashSet(StringComparer.Ordinal);
        var lines = book.Contracts.SelectMany(c => c.Lines.Select(l => $"{c.Id.Value}/{l.Id.Value}")).ToHashSet(StringComparer.Ordinal);
        var result = new List<LineMove>();
        for (var i = 0; i < moves.Count; i++)
        {
            var path = string.Create(CultureInfo.InvariantCulture, $"moves[{i}]");
            var m = moves[i];
            if (m is null)
            {
                errors[path] = ["must be an object with contract, line, from and to."];
                continue;
            }
            var ok = true;
            if (string.IsNullOrWhiteSpace(m.Contract)) { errors[$"{path}.contract"] = ["required."]; ok = false; }
            if (string.IsNullOrWhiteSpace(m.Line)) { errors[$"{path}.line"] = ["required."]; ok = false; }
            if (ok && !lines.Contains($"{m.Contract}/{m.Line}"))
            {
                errors[$"{path}.line"] = [$"no line '{m.Line}' in contract '{m.Contract}'."];
                ok = false;
            }
            var from = Blocks(m.From, $"{path}.from", fabrics, errors);
            var to = Blocks(m.To, $"{path}.to", fabrics, errors);
            if (ok && from is not null && to is not null) result.Add(new LineMove(new LineRef(new ContractId(m.Contract!), new LineId(m.Line!)), from, to));
        }
        return errors.Count == 0 ? (result, errors) : (null, errors);
    }

    private static List<PlacedBlock>? Blocks(IReadOnlyList<BlockBody>? blocks, string path, HashSet<string> fabrics, Dictionary<string, string[]> errors)
    {
        if (blocks is null || blocks.Count == 0)
        {
            errors[path] = ["required: at least one block."];
            return null;
        }
        var result = new List<PlacedBlock>();
        var ok = true;
        for (var j = 0; j < blocks.Count; j++)
        {
            var at = string.Create(CultureInfo.InvariantCulture, $"{path}[{j}]");
            var b = blocks[j];
            if (b?.Fabric is not { } fabric || !fabrics.Contains(fabric))
            {
                errors[$"{at}.fabric"] = [b?.Fabric is null ? "required." : $"no fabric '{b.Fabric}'."];
                ok = false;
            }
            if (b?.Units is not > 0)
            {
                errors[$"{at}.units"] = ["required: a positive number of platform units."];
                ok = false;
            }
            if (ok) result.Add(new PlacedBlock(new FabricId(b!.Fabric!), b.Units!.Value));
        }
        return ok ? result : null;
    }
}
