using System.Globalization;
using Lessor.Core.Model;

namespace Lessor.Core.Ledger;

/// <summary>One line moved by a re-placement: its blocks now, and where they go.</summary>
public sealed record LineMove(LineRef Line, IReadOnlyList<PlacedBlock> From, IReadOnlyList<PlacedBlock> To);

/// <summary>
/// A proposed re-placement of lines that have not started: the moves, the stranding before and after over the window,
/// and how many lines could move (not started, one stretch) and how many were held where they are.
/// </summary>
public sealed record ReplacementPlan(
    DateTime AsOf, Period Window, int MinDealGpus, IReadOnlyList<LineMove> Moves,
    StrandingReport Before, StrandingReport After, int MovableLines, int FrozenLines);

/// <summary>A deal's fit when lines that have not started may move: the fit of the new lines and the moves it needs (none when it fits as is).</summary>
public sealed record RepackFit(FitResult Fit, IReadOnlyList<LineMove> Moves);

/// <summary>
/// Re-placement (docs/placement.md): lines that have not started at an instant may move to other fabrics, inside their
/// own locality, block and min-sites rules. Started lines, and lines with an amended history, never move.
/// </summary>
public sealed partial class CapacityLedger
{
    /// <summary>
    /// Proposes moves of lines not started at <paramref name="asOf"/> that leave the least stranded capacity over the
    /// window (free GPU-hours no deal of <paramref name="minDealGpus"/> GPUs or more can use), then the most
    /// consolidated free capacity (free units squared over time: the same free capacity in fewer, larger holes).
    /// Consolidation only ranks: a move is proposed only when it strands less, so no move is proposed that the
    /// stranded figure shown to a reviewer does not justify. Per platform, the movable lines are lifted and placed
    /// again by the ledger's policy in a few deterministic orders (signing order, largest first, most GPU-hours first,
    /// largest block first, by start); the best order wins only if it strands less than the book as it stands, then
    /// each moved line goes back where it was when that strands no more.
    /// With <paramref name="maxMoves"/>, the proposal is instead at most that many single-line moves, the best gains
    /// first (a diff an operator can review; the whole-book repack may move thousands of lines). The ledger is left unchanged.
    /// </summary>
    public ReplacementPlan ProposeReplacement(DateTime asOf, Period window, int minDealGpus = 1_024, int? maxMoves = null)
    {
        if (asOf.Kind != DateTimeKind.Utc) throw new ArgumentException("Instant must be UTC.", nameof(asOf));
        if (minDealGpus < 1) throw new ArgumentOutOfRangeException(nameof(minDealGpus), "The smallest deal must be at least 1 GPU.");
        if (maxMoves is < 1) throw new ArgumentOutOfRangeException(nameof(maxMoves), "A move budget must be at least 1.");
        long a = Utc.ToMinute(window.Start), b = Utc.ToMinute(window.End);
        var before = Stranding(window, minDealGpus);
        var journal = new List<LedgerOp>();
        var moves = new List<LineMove>();
        int movableCount = 0, frozen = 0;
        try
        {
            if (maxMoves is { } budget)
            {
                var all = new List<LineState>();
                for (var p = 0; p < PlatformList.Length; p++)
                {
                    var (movable, held) = MovableLines(p, asOf);
                    movableCount += movable.Count;
                    frozen += held;
                    all.AddRange(movable);
                }
                moves.AddRange(BestSingleMoves(all, a, b, minDealGpus, budget, journal));
                return new ReplacementPlan(asOf, window, minDealGpus, moves, before, Stranding(window, minDealGpus), movableCount, frozen);
            }
            for (var p = 0; p < PlatformList.Length; p++)
            {
                var (movable, held) = MovableLines(p, asOf);
                movableCount += movable.Count;
                frozen += held;
                if (movable.Count == 0) continue;
                var fabrics = PlatformFabrics[p];
                var original = movable.ToDictionary(l => l.Ref, l => (IReadOnlyList<PlacedBlock>)BlocksOf(l));
                var sizes = Leftovers(p, minDealGpus);
                var asIs = Total(fabrics, a, b, sizes);
                var best = asIs;
                List<LineState>? bestOrder = null;
                foreach (var order in Orders(movable))
                {
                    var trial = new List<LedgerOp>();
                    if (Repack(order, [], trial) is not null && Total(fabrics, a, b, sizes).BetterThan(best))
                    {
                        best = Total(fabrics, a, b, sizes);
                        bestOrder = order;
                    }
                    Rollback(trial);
                }
                if (bestOrder is null || best.Stranded >= asIs.Stranded) continue;
                Repack(bestOrder, [], journal);
                KeepWhereCheap(bestOrder, original, a, b, sizes, journal);
                foreach (var line in movable)
                {
                    var now = BlocksOf(line);
                    if (!SameBlocks(original[line.Ref], now)) moves.Add(new LineMove(line.Ref, original[line.Ref], now));
                }
            }
            var after = Stranding(window, minDealGpus);
            return new ReplacementPlan(asOf, window, minDealGpus, moves, before, after, movableCount, frozen);
        }
        finally
        {
            Rollback(journal);
        }
    }

    /// <summary>
    /// Checks a deal; when it does not fit as the book stands, tries again letting lines that have not started at
    /// <paramref name="asOf"/> move. First, one fabric at a time (up to 16, least to lift first), only the movable
    /// lines in that fabric during the deal's term are lifted, the deal placed, and the lifted lines placed again
    /// anywhere their rules allow; failing that, every movable line of the deal's platforms is lifted and placed again
    /// with the deal (a few deterministic orders). Either way each moved line then goes back where it was whenever
    /// everything still fits, and the answer with the fewest moves wins; with <paramref name="maxMoves"/>, answers that
    /// move more lines are not taken. The ledger is left unchanged; when nothing fits, the plain check's answer (what
    /// binds) is returned.
    /// </summary>
    public RepackFit CheckWithReplacement(DealRequest deal, DateTime asOf, int? maxMoves = null)
    {
        ArgumentNullException.ThrowIfNull(deal);
        if (asOf.Kind != DateTimeKind.Utc) throw new ArgumentException("Instant must be UTC.", nameof(asOf));
        if (maxMoves is < 1) throw new ArgumentOutOfRangeException(nameof(maxMoves), "A move budget must be at least 1.");
        var plain = Check(deal);
        if (plain.Fits) return new RepackFit(plain, []);
        var ids = LineIds(deal);
        var platforms = new SortedSet<int>();
        foreach (var line in deal.Lines)
        {
            if (!PlatformIndex.TryGetValue(line.Platform, out var p)) return new RepackFit(plain, []);
            platforms.Add(p);
        }
        var movable = new List<LineState>();
        foreach (var p in platforms) movable.AddRange(MovableLines(p, asOf).Movable);
        if (movable.Count == 0) return new RepackFit(plain, []);
        var original = movable.ToDictionary(l => l.Ref, l => (IReadOnlyList<PlacedBlock>)BlocksOf(l));
        var fresh = new List<(DealLine Spec, LineId Id)>();
        for (var i = 0; i < deal.Lines.Count; i++) fresh.Add((deal.Lines[i], ids[i]));

        (List<LinePlacement> Placements, List<LineMove> Moves)? best = null;
        void Try(List<LineState> order)
        {
            var trial = new List<LedgerOp>();
            try
            {
                var placed = Repack(order, fresh, trial);
                if (placed is null) return;
                KeepWhereFits(order, original, trial);
                var moves = new List<LineMove>();
                foreach (var line in order)
                {
                    var now = BlocksOf(line);
                    if (!SameBlocks(original[line.Ref], now)) moves.Add(new LineMove(line.Ref, original[line.Ref], now));
                }
                if (moves.Count <= (maxMoves ?? int.MaxValue) && (best is null || moves.Count < best.Value.Moves.Count)) best = (placed, moves);
            }
            finally
            {
                Rollback(trial);
            }
        }

        foreach (var lifted in FabricByFabric(deal, platforms, movable)) Try(lifted);
        if (best is null) foreach (var order in Orders(movable)) Try(order);
        return best is { } found ? new RepackFit(new FitResult(true, found.Placements, []), found.Moves) : new RepackFit(plain, []);
    }

    /// <summary>
    /// Applies reviewed moves: each line must still sit where the move says it sits, must not have started at
    /// <paramref name="asOf"/>, and its new blocks must keep its platform, size, locality, block and min-sites rules and
    /// fit. All or nothing: refused with the first reason, and nothing changes.
    /// </summary>
    public WriteResult ApplyMoves(IReadOnlyList<LineMove> moves, DateTime asOf)
    {
        ArgumentNullException.ThrowIfNull(moves);
        if (asOf.Kind != DateTimeKind.Utc) throw new ArgumentException("Instant must be UTC.", nameof(asOf));
        var states = new List<LineState>(moves.Count);
        var seen = new HashSet<LineRef>();
        foreach (var move in moves)
        {
            if (!seen.Add(move.Line)) return Refused($"Line {move.Line} is moved twice.");
            if (!Lines.TryGetValue(move.Line, out var state)) return Refused($"Line {move.Line} is not in the book.");
            if (state.Spec.Period.Start <= asOf)
                return Refused(string.Create(CultureInfo.InvariantCulture, $"Line {move.Line} started on {state.Spec.Period.Start:yyyy-MM-dd HH:mm}: a started line never moves."));
            if (!IsOneStretch(state)) return Refused($"Line {move.Line} has an amended history: only its future may change, by an amendment.");
            if (!SameBlocks(BlocksOf(state), move.From)) return Refused($"Line {move.Line} no longer sits where the plan says: the book changed since it was made; make a new plan.");
            if (ShapeProblem(state, move.To) is { } problem) return Refused($"Line {move.Line}: {problem}");
            states.Add(state);
        }
        var journal = new List<LedgerOp>();
        // Lift every moved line first, so two lines may swap fabrics.
        foreach (var state in states)
        {
            foreach (var piece in state.Pieces.ToList()) Do(new RemovePieceOp(piece), journal);
        }
        for (var i = 0; i < states.Count; i++) AddBlocks(states[i], moves[i].To, journal);
        foreach (var state in states)
        {
            if (FirstOversold(state) is { } error)
            {
                Rollback(journal);
                return Refused(error);
            }
        }
        return Seal(journal);
    }

    /// <summary>
    /// Single-line moves, best gain first: each movable line is lifted and placed again by the policy where the book
    /// now stands; a move is a candidate when the fabrics it leaves and enters strand less. Candidates are ranked by
    /// gain (stranded, then consolidation) on the book as it stood, then applied in that order while each still gains,
    /// up to the budget.
    /// </summary>
    private List<LineMove> BestSingleMoves(List<LineState> movable, long a, long b, int minDealGpus, int budget, List<LedgerOp> journal)
    {
        var candidates = new List<(LineState Line, long Stranded, double Consolidation)>();
        foreach (var line in movable)
        {
            var step = new List<LedgerOp>();
            if (TryMove(line, a, b, minDealGpus, step) is { } gain) candidates.Add((line, gain.Stranded, gain.Consolidation));
            Rollback(step);
        }
        candidates.Sort((x, y) =>
        {
            var c = y.Stranded.CompareTo(x.Stranded);
            if (c != 0) return c;
            c = y.Consolidation.CompareTo(x.Consolidation);
            return c != 0 ? c : x.Line.Priority.CompareTo(y.Line.Priority);
        });
        var moves = new List<LineMove>();
        foreach (var (line, _, _) in candidates)
        {
            if (moves.Count == budget) break;
            var from = BlocksOf(line);
            var step = new List<LedgerOp>();
            if (TryMove(line, a, b, minDealGpus, step) is null)
            {
                Rollback(step);
                continue;
            }
            journal.AddRange(step);
            moves.Add(new LineMove(line.Ref, from, BlocksOf(line)));
        }
        return moves;
    }

    /// <summary>
    /// Lifts one line and lets the policy place it again; when it lands elsewhere and the fabrics it touches strand
    /// less, leaves it there (the ops in <paramref name="step"/>) and answers the gain; otherwise answers null with
    /// the line back in place (the caller still rolls <paramref name="step"/> back, which is then a no-op or exact).
    /// </summary>
    private (long Stranded, double Consolidation)? TryMove(LineState line, long a, long b, int minDealGpus, List<LedgerOp> step)
    {
        var from = BlocksOf(line);
        var sizes = Leftovers(line.Platform, minDealGpus);
        foreach (var piece in line.Pieces.ToList()) Do(new RemovePieceOp(piece), step);
        var to = TryPlace(line.Spec);
        if (to is null || SameBlocks(from, to))
        {
            Rollback(step);
            return null;
        }
        AddBlocks(line, to, step);
        var touched = from.Select(x => FabricIndex[x.Fabric]).Concat(to.Select(x => FabricIndex[x.Fabric])).Distinct().ToArray();
        var after = Total(touched, a, b, sizes);
        var moved = new List<LedgerOp>(step);
        Rollback(moved);
        var before = Total(touched, a, b, sizes);
        // Consolidation alone is no gain a reviewer can see: the move must strand less.
        if (after.Stranded >= before.Stranded)
        {
            step.Clear();
            return null;
        }
        foreach (var op in step) op.Apply(this);
        return (before.Stranded - after.Stranded, after.Consolidation - before.Consolidation);
    }

    /// <summary>
    /// For a one-platform deal, the lines to lift one fabric at a time: the movable lines holding the fabric during the
    /// deal's term, largest first, for up to 16 fabrics that lifting could make hold the whole deal, least to lift first.
    /// </summary>
    private IEnumerable<List<LineState>> FabricByFabric(DealRequest deal, SortedSet<int> platforms, List<LineState> movable)
    {
        if (platforms.Count != 1) yield break;
        var p = platforms.Min;
        long a = long.MaxValue, b = long.MinValue;
        var need = 0;
        foreach (var line in deal.Lines)
        {
            a = Math.Min(a, Utc.ToMinute(line.Period.Start));
            b = Math.Max(b, Utc.ToMinute(line.Period.End));
            need += line.Gpus.Value / PlatformList[p].GpusPerUnit;
        }
        var canMove = movable.ToHashSet();
        // A fabric is a candidate when its free units plus what its movable lines hold during the term could hold the
        // deal; those needing the fewest lifted units come first.
        var candidates = new List<(int Fabric, int Lift, List<LineState> Lines)>();
        foreach (var f in PlatformFabrics[p])
        {
            var lines = FabricPieces[f].Where(piece => piece.Start < b && piece.End > a && canMove.Contains(piece.Line))
                .Select(piece => piece.Line).Distinct().ToList();
            if (lines.Count == 0) continue;
            var liftable = 0;
            foreach (var piece in FabricPieces[f]) if (piece.Start < b && piece.End > a && canMove.Contains(piece.Line)) liftable += piece.Units;
            var free = Math.Max(0, Free[f].Min(a, b));
            if (free + liftable < need) continue;
            candidates.Add((f, need - free, [.. lines.OrderByDescending(l => l.Spec.Gpus.Value).ThenBy(l => l.Priority)]));
        }
        foreach (var (fabric, lift, lines) in candidates.OrderBy(c => c.Lift).ThenBy(c => c.Lines.Count).ThenBy(c => c.Fabric).Take(16))
        {
            // Fewest lines first: the largest holders in this fabric until their units cover the shortfall; when the
            // time profile defeats that (units held at other times than the tightest point), every holder.
            var few = new List<LineState>();
            var covered = 0;
            foreach (var line in lines)
            {
                if (covered >= lift) break;
                few.Add(line);
                foreach (var piece in line.Pieces) if (piece.Fabric == fabric) covered += piece.Units;
            }
            if (few.Count < lines.Count) yield return few;
            yield return lines;
        }
    }

    // Leftover tables depend only on the platform's unit and the deal size: kept across calls (the ledger is single-threaded).
    private readonly Dictionary<(int Platform, int MinDealGpus), LeftoverTable> _leftovers = [];

    private LeftoverTable Leftovers(int platform, int minDealGpus)
    {
        if (!_leftovers.TryGetValue((platform, minDealGpus), out var table))
        {
            table = new LeftoverTable(StrandingSizes.InUnits(PlatformList[platform].GpusPerUnit, minDealGpus));
            _leftovers[(platform, minDealGpus)] = table;
        }
        return table;
    }

    private static WriteResult Refused(string reason) => new(null, [], reason);

    private (List<LineState> Movable, int Held) MovableLines(int platform, DateTime asOf)
    {
        var movable = new List<LineState>();
        var held = 0;
        foreach (var line in Lines.Values)
        {
            if (line.Platform != platform || line.Ref.Contract == Tentative) continue;
            if (line.Spec.Period.Start > asOf && IsOneStretch(line)) movable.Add(line);
            else held++;
        }
        movable.Sort((x, y) => x.Priority.CompareTo(y.Priority));
        return (movable, held);
    }

    // A line placed once and never amended: every piece spans its whole period.
    private static bool IsOneStretch(LineState line)
    {
        if (line.Pieces.Count == 0) return false;
        long a = Utc.ToMinute(line.Spec.Period.Start), b = Utc.ToMinute(line.Spec.Period.End);
        foreach (var piece in line.Pieces) if (piece.Start != a || piece.End != b) return false;
        return true;
    }

    private static IEnumerable<List<LineState>> Orders(List<LineState> lines)
    {
        // Signing order (the policy again, knowing every line), then the classic decreasing orders of bin packing.
        yield return lines;
        yield return [.. lines.OrderByDescending(l => l.Spec.Gpus.Value).ThenByDescending(Minutes).ThenBy(l => l.Priority)];
        yield return [.. lines.OrderByDescending(l => (decimal)l.Spec.Gpus.Value * Minutes(l)).ThenBy(l => l.Priority)];
        yield return [.. lines.OrderByDescending(l => l.Spec.BlockSize?.Value ?? 0).ThenByDescending(l => l.Spec.Gpus.Value).ThenBy(l => l.Priority)];
        // By start: the order that colours an interval graph with the fewest colours when every line is one unit.
        yield return [.. lines.OrderBy(l => l.Spec.Period.Start).ThenByDescending(l => l.Spec.Gpus.Value).ThenBy(l => l.Priority)];
    }

    private static long Minutes(LineState l) => Utc.ToMinute(l.Spec.Period.End) - Utc.ToMinute(l.Spec.Period.Start);

    /// <summary>
    /// Lifts the given lines, places the new lines (if any), then the lifted ones again in order. Answers the new
    /// lines' placements, or null when something does not fit (the caller rolls the journal back).
    /// </summary>
    private List<LinePlacement>? Repack(List<LineState> order, List<(DealLine Spec, LineId Id)> fresh, List<LedgerOp> journal)
    {
        foreach (var line in order)
        {
            foreach (var piece in line.Pieces.ToList()) Do(new RemovePieceOp(piece), journal);
        }
        var placements = new List<LinePlacement>();
        // New lines first: they are the reason for the repack, and the lifted lines then fill around them.
        foreach (var (spec, id) in fresh)
        {
            var blocks = TryPlace(spec);
            if (blocks is null) return null;
            var placement = new LinePlacement(id, spec, blocks);
            ApplyPlacement(Tentative, placement, journal);
            placements.Add(placement);
        }
        foreach (var line in order)
        {
            var blocks = TryPlace(line.Spec);
            if (blocks is null) return null;
            AddBlocks(line, blocks, journal);
        }
        return placements;
    }

    private List<PlacedBlock>? TryPlace(DealLine spec)
    {
        var p = PlatformIndex[spec.Platform];
        var shape = ShapeOf(spec, p);
        _placement.LoadFree(p, shape.Start, shape.End);
        var chunks = _placement.Place(shape, -1);
        return chunks is null ? null : ToBlocks(chunks, shape, spec.BlockSize is not null);
    }

    private void AddBlocks(LineState line, IReadOnlyList<PlacedBlock> blocks, List<LedgerOp> journal)
    {
        long a = Utc.ToMinute(line.Spec.Period.Start), b = Utc.ToMinute(line.Spec.Period.End);
        foreach (var block in blocks) Do(new AddPieceOp(new Piece(line, FabricIndex[block.Fabric], block.Units, a, b)), journal);
    }

    // Puts each moved line back where it was when that keeps everything placed and strands no more: fewer moves, and
    // none kept for consolidation alone. The score is a sum over fabrics, so only the fabrics the line leaves and
    // returns to are scored.
    private void KeepWhereCheap(List<LineState> order, Dictionary<LineRef, IReadOnlyList<PlacedBlock>> original, long a, long b, LeftoverTable sizes, List<LedgerOp> journal)
    {
        foreach (var line in order)
        {
            var home = original[line.Ref];
            if (SameBlocks(home, BlocksOf(line))) continue;
            var touched = line.Pieces.Select(p => p.Fabric).Concat(home.Select(h => FabricIndex[h.Fabric])).Distinct().ToArray();
            var before = Total(touched, a, b, sizes);
            var step = new List<LedgerOp>();
            if (!TryMoveBack(line, home, step)) continue;
            if (Total(touched, a, b, sizes).Stranded > before.Stranded) Rollback(step);
            else journal.AddRange(step);
        }
    }

    // Puts each moved line back where it was whenever everything still fits: the fewest moves that seat the deal.
    private void KeepWhereFits(List<LineState> order, Dictionary<LineRef, IReadOnlyList<PlacedBlock>> original, List<LedgerOp> journal)
    {
        foreach (var line in order)
        {
            if (SameBlocks(original[line.Ref], BlocksOf(line))) continue;
            var step = new List<LedgerOp>();
            if (TryMoveBack(line, original[line.Ref], step)) journal.AddRange(step);
        }
    }

    private bool TryMoveBack(LineState line, IReadOnlyList<PlacedBlock> blocks, List<LedgerOp> step)
    {
        foreach (var piece in line.Pieces.ToList()) Do(new RemovePieceOp(piece), step);
        AddBlocks(line, blocks, step);
        if (FirstOversold(line) is null) return true;
        Rollback(step);
        return false;
    }

    private List<PlacedBlock> BlocksOf(LineState line) => [.. line.Pieces.Select(p => new PlacedBlock(FabricList[p.Fabric].Id, p.Units))];

    private static bool SameBlocks(IReadOnlyList<PlacedBlock> x, IReadOnlyList<PlacedBlock> y)
    {
        if (x.Count != y.Count) return false;
        var left = x.OrderBy(q => q.Fabric.Value, StringComparer.Ordinal).ThenBy(q => q.Units).ToList();
        var right = y.OrderBy(q => q.Fabric.Value, StringComparer.Ordinal).ThenBy(q => q.Units).ToList();
        for (var i = 0; i < left.Count; i++) if (left[i] != right[i]) return false;
        return true;
    }

    /// <summary>Why new blocks break the line's rules (platform, size, blocks, locality, min sites), or null.</summary>
    private string? ShapeProblem(LineState line, IReadOnlyList<PlacedBlock> blocks)
    {
        var spec = line.Spec;
        var unit = PlatformList[line.Platform].GpusPerUnit;
        var blockUnits = spec.BlockSize is { } bs ? bs.Value / unit : 0;
        var total = 0;
        var remainders = 0;
        var fabrics = new List<int>();
        foreach (var block in blocks)
        {
            if (!FabricIndex.TryGetValue(block.Fabric, out var f) || FabricPlatform[f] != line.Platform)
                return $"fabric '{block.Fabric}' is unknown or of another platform than {spec.Platform}.";
            if (block.Units <= 0) return $"a block in fabric {block.Fabric} has no units.";
            if (blockUnits > 0 && block.Units > blockUnits) return $"a block in fabric {block.Fabric} holds {block.Units} units, more than the line's block of {blockUnits}.";
            if (blockUnits > 0 && block.Units < blockUnits) remainders++;
            total += block.Units;
            fabrics.Add(f);
        }
        if (total * unit != spec.Gpus.Value)
            return string.Create(CultureInfo.InvariantCulture, $"the new blocks hold {total * unit:N0} GPUs but the line has {spec.Gpus.Value:N0}.");
        if (remainders > 1) return "only one block may be smaller than the line's block size.";
        var sites = fabrics.Select(f => FabricSite[f]).Distinct().Count();
        if (sites < spec.MinSites) return $"the new blocks span {sites} site(s), fewer than the line's minimum of {spec.MinSites}.";
        var together = spec.Locality switch
        {
            Locality.Fabric => fabrics.Distinct().Count() == 1,
            Locality.Site => sites == 1,
            Locality.Region => fabrics.Select(f => SiteRegion[FabricSite[f]]).Distinct().Count() == 1,
            _ => true,
        };
        return together ? null : $"the new blocks leave the line's {spec.Locality.ToString().ToLowerInvariant()}.";
    }

    /// <summary>Stranded unit-minutes (lower is better), then free units squared over minutes (higher: fewer, larger holes).</summary>
    private readonly record struct PackScore(long Stranded, double Consolidation)
    {
        public bool BetterThan(PackScore other) =>
            Stranded != other.Stranded ? Stranded < other.Stranded : Consolidation > other.Consolidation * (1 + 1e-12);
    }

    private PackScore Total(int[] fabrics, long a, long b, LeftoverTable sizes)
    {
        long stranded = 0;
        double consolidation = 0;
        foreach (var f in fabrics)
        {
            foreach (var (value, minutes) in Free[f].Slices(a, b))
            {
                var free = Math.Max(value, 0);
                stranded = checked(stranded + (long)sizes[free] * minutes);
                consolidation += (double)free * free * minutes;
            }
        }
        return new PackScore(stranded, consolidation);
    }
}
