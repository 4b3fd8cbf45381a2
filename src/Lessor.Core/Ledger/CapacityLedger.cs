using System.Globalization;
using Lessor.Core.Contracts;
using Lessor.Core.Model;

namespace Lessor.Core.Ledger;

/// <summary>
/// Supply and commitments per fabric over time, exact to the minute, with the deal desk's queries and the
/// writes that change it (each returning an undo token). Not thread-safe: callers serialize writes, and a
/// multi-line check briefly writes tentative commitments, so it counts as a write.
/// </summary>
public sealed partial class CapacityLedger
{
    internal readonly Platform[] PlatformList;
    internal readonly Dictionary<PlatformId, int> PlatformIndex = [];
    internal readonly Site[] SiteList;
    internal readonly int[] SiteRegion;
    internal readonly RegionId[] RegionIds;
    internal readonly Fabric[] FabricList;
    internal readonly Dictionary<FabricId, int> FabricIndex = [];
    internal readonly int[] FabricSite;
    internal readonly int[][] SiteFabrics;
    internal readonly int[] FabricPlatform;
    internal readonly StepTimeline[] Free;
    internal readonly StepTimeline[] Supply;
    internal readonly List<Piece>[] FabricPieces;

    /// <summary>Per platform, its fabrics sorted by (region, site, fabric id): every locality group is a contiguous range.</summary>
    internal readonly int[][] PlatformFabrics;

    internal readonly Dictionary<DeliveryId, Delivery> Deliveries = [];
    internal readonly Dictionary<LineRef, LineState> Lines = [];
    internal readonly Currency Currency;
    private readonly BestFitPlacement _placement;
    private readonly EarliestSweep _earliest;
    private long _nextPriority;
    private long _stamp;

    /// <summary>Bumped by every write and by every release; a token may be released only while it is the latest.</summary>
    public long Version { get; private set; }

    /// <summary>
    /// Per fabric, a counter bumped by every change to its supply, free units or pieces (writes, releases, holds): what
    /// incremental coverage compares to find the fabrics a write touched. Never goes back, so equal means unchanged.
    /// </summary>
    internal long[] FabricStamp { get; }

    /// <summary>Counts piece changes; each line keeps the count of its last one (<see cref="LineState.ChangedAt"/>).</summary>
    internal long PieceChanges { get; private set; }

    private CapacityLedger(Scenario s, List<ValidationIssue> issues)
    {
        Currency = s.Currency;
        PlatformList = [.. s.Platforms];
        for (var i = 0; i < PlatformList.Length; i++) PlatformIndex[PlatformList[i].Id] = i;
        var regionIndex = new Dictionary<RegionId, int>();
        var regions = new List<RegionId>();
        foreach (var r in s.Regions.OrderBy(r => r.Id.Value, StringComparer.Ordinal))
        {
            if (regionIndex.TryAdd(r.Id, regions.Count)) regions.Add(r.Id);
        }
        SiteList = [.. s.Sites];
        SiteRegion = new int[SiteList.Length];
        var siteIndex = new Dictionary<SiteId, int>();
        for (var i = 0; i < SiteList.Length; i++)
        {
            siteIndex[SiteList[i].Id] = i;
            if (!regionIndex.TryGetValue(SiteList[i].Region, out var ri))
            {
                issues.Add(new ValidationIssue($"sites[{i}].region", $"unknown region '{SiteList[i].Region}'"));
                ri = regions.Count;
                regionIndex[SiteList[i].Region] = ri;
                regions.Add(SiteList[i].Region);
            }
            SiteRegion[i] = ri;
        }
        RegionIds = [.. regions];

        var fabrics = new List<Fabric>();
        for (var i = 0; i < s.Fabrics.Count; i++)
        {
            var f = s.Fabrics[i];
            if (!siteIndex.ContainsKey(f.Site)) issues.Add(new ValidationIssue($"fabrics[{i}].site", $"unknown site '{f.Site}'"));
            else if (!PlatformIndex.ContainsKey(f.Platform)) issues.Add(new ValidationIssue($"fabrics[{i}].platform", $"unknown platform '{f.Platform}'"));
            else if (FabricIndex.ContainsKey(f.Id)) issues.Add(new ValidationIssue($"fabrics[{i}].id", $"duplicate fabric '{f.Id}'"));
            else
            {
                FabricIndex[f.Id] = fabrics.Count;
                fabrics.Add(f);
            }
        }
        FabricList = [.. fabrics];
        var n = FabricList.Length;
        FabricSite = new int[n];
        FabricPlatform = new int[n];
        Free = new StepTimeline[n];
        Supply = new StepTimeline[n];
        FabricPieces = new List<Piece>[n];
        FabricStamp = new long[n];
        for (var i = 0; i < n; i++)
        {
            FabricSite[i] = siteIndex[FabricList[i].Site];
            FabricPlatform[i] = PlatformIndex[FabricList[i].Platform];
            Free[i] = new StepTimeline();
            Supply[i] = new StepTimeline();
            FabricPieces[i] = [];
        }
        SiteFabrics = new int[SiteList.Length][];
        for (var site = 0; site < SiteList.Length; site++)
        {
            var list = new List<int>();
            for (var f = 0; f < n; f++) if (FabricSite[f] == site) list.Add(f);
            SiteFabrics[site] = [.. list];
        }
        PlatformFabrics = new int[PlatformList.Length][];
        for (var p = 0; p < PlatformList.Length; p++)
        {
            var list = new List<int>();
            for (var f = 0; f < n; f++) if (FabricPlatform[f] == p) list.Add(f);
            list.Sort((x, y) =>
            {
                var c = string.CompareOrdinal(RegionIds[SiteRegion[FabricSite[x]]].Value, RegionIds[SiteRegion[FabricSite[y]]].Value);
                if (c != 0) return c;
                c = string.CompareOrdinal(FabricList[x].Site.Value, FabricList[y].Site.Value);
                return c != 0 ? c : string.CompareOrdinal(FabricList[x].Id.Value, FabricList[y].Id.Value);
            });
            PlatformFabrics[p] = [.. list];
        }
        var maxPerPlatform = PlatformFabrics.Length == 0 ? 0 : PlatformFabrics.Max(a => a.Length);
        _placement = new BestFitPlacement(this, maxPerPlatform);
        _earliest = new EarliestSweep(this, _placement, maxPerPlatform);
    }

    /// <summary>
    /// Builds the ledger from a scenario: supply from every delivery (planned ones count as future supply), then
    /// committed lines in signing order (cut at their contract's cancellation), pinned blocks as given and the
    /// rest placed by the ledger's placement.
    /// </summary>
    public static LedgerBuild Build(Scenario s)
    {
        var issues = new List<ValidationIssue>();
        var ledger = new CapacityLedger(s, issues);
        var slipped = new List<(Delivery Promised, Delivery Actual)>();
        for (var i = 0; i < s.Deliveries.Count; i++)
        {
            var d = s.Deliveries[i];
            if (!ledger.FabricIndex.ContainsKey(d.Fabric)) issues.Add(new ValidationIssue($"deliveries[{i}].fabric", $"unknown fabric '{d.Fabric}'"));
            else if (d.Units <= 0) issues.Add(new ValidationIssue($"deliveries[{i}].units", "must be positive"));
            else if (ledger.Deliveries.ContainsKey(d.Id)) issues.Add(new ValidationIssue($"deliveries[{i}].id", $"duplicate delivery '{d.Id}'"));
            else if (!OnMinute(d.AcceptanceDate)) issues.Add(new ValidationIssue($"deliveries[{i}].acceptanceDate", "must be UTC on a whole minute"));
            // Lines the book does not pin were placed when the deliveries were still due on their first dates: they are
            // placed again against that supply, and slips are applied after them, so a slip leaves such a line short
            // (reported, revenue deferred) instead of unplaced.
            else
            {
                var promised = AsPromised(d);
                new SetDeliveryOp(d.Id, null, promised).Apply(ledger);
                if (!ReferenceEquals(promised, d)) slipped.Add((promised, d));
            }
        }

        var unplaced = new List<UnplacedLine>();
        var toPlace = new List<(LineRef Ref, DealLine Spec, IReadOnlyList<LineSegment> Segments)>();
        var contracts = s.Contracts.Select((c, i) => (c, i))
            .OrderBy(x => x.c.SignedOn).ThenBy(x => x.c.Id.Value, StringComparer.Ordinal).ToList();
        foreach (var (c, ci) in contracts) ledger.AddContract(c, ci, issues, toPlace, null);
        foreach (var (reference, spec, segments) in toPlace) ledger.PlaceSegments(reference, spec, segments, unplaced);
        foreach (var (promised, actual) in slipped) new SetDeliveryOp(actual.Id, promised, actual).Apply(ledger);
        return new LedgerBuild(ledger, ledger.Uncovered(), unplaced, issues);
    }

    /// <summary>
    /// Adds a contract's committed lines as <see cref="Build"/> does: each stretch of each line's history with its pinned
    /// blocks, cut at a cancellation; lines with an unpinned stretch go to <paramref name="toPlace"/>. A line named in
    /// <paramref name="priorities"/> keeps that priority (a contract replaced in place), others get the next one.
    /// </summary>
    private void AddContract(Contract c, int ci, List<ValidationIssue> issues, List<(LineRef Ref, DealLine Spec, IReadOnlyList<LineSegment> Segments)> toPlace,
        Dictionary<LineId, long>? priorities)
    {
        for (var li = 0; li < c.Lines.Count; li++)
        {
            var line = c.Lines[li];
            if (!line.IsCommitted) continue;
            var path = $"contracts[{ci}].lines[{li}]";
            // Amendments change only the future: the line holds each stretch of its history with the blocks of
            // that stretch (LineSegments), cut at a cancellation.
            var segments = LineSegments.Of(c, line);
            if (segments.Count == 0) continue;
            var end = segments[^1].Period.End;
            if (!PlatformIndex.TryGetValue(line.Platform, out var p))
            {
                issues.Add(new ValidationIssue($"{path}.platform", $"unknown platform '{line.Platform}'"));
                continue;
            }
            if (LineProblem(line, p, end) is { } problem)
            {
                issues.Add(new ValidationIssue($"{path}.{problem.Field}", problem.Message));
                continue;
            }
            var spec = new DealLine
            {
                Id = line.Id, Platform = line.Platform, Gpus = line.Gpus, Period = new Period(line.Period.Start, end),
                Locality = line.Locality, BlockSize = line.BlockSize, MinSites = line.MinSites, PricePerGpuHour = line.PricePerGpuHour,
            };
            var reference = new LineRef(c.Id, line.Id);
            if (Lines.ContainsKey(reference))
            {
                issues.Add(new ValidationIssue($"{path}.id", $"duplicate line '{reference}'"));
                continue;
            }
            if (segments.Any(x => x.Pinned.Count == 0))
            {
                // Not pinned (or an earlier version was not): the ledger places it after every pinned line, one stretch
                // of its history at a time, so the past is committed at the size it had.
                toPlace.Add((reference, spec, segments));
                continue;
            }
            var blocks = new List<PlacedBlock>();
            var ok = true;
            for (var bi = 0; bi < line.Pinned.Count; bi++)
            {
                var b = line.Pinned[bi];
                if (!FabricIndex.TryGetValue(b.Fabric, out var f) || FabricPlatform[f] != p || b.Units <= 0)
                {
                    issues.Add(new ValidationIssue($"{path}.pinned[{bi}]", $"fabric '{b.Fabric}' is unknown, of another platform, or given no units"));
                    ok = false;
                }
                blocks.Add(b);
            }
            if (!ok) continue;
            var units = blocks.Sum(b => b.Units);
            if (units * PlatformList[p].GpusPerUnit != line.Gpus.Value)
            {
                issues.Add(new ValidationIssue($"{path}.pinned",
                    string.Create(CultureInfo.InvariantCulture, $"pinned blocks hold {units} units but the line has {line.Gpus.Value} GPUs")));
            }
            // Pinned blocks are the book as it stands: taken as given even when supply does not cover them,
            // which the uncovered report then names.
            if (segments.Count == 1)
            {
                // One stretch: the current terms, or an earlier version alone when a cancellation came before the
                // amendments took effect (then that version's size and blocks are what the book held).
                var only = segments[0];
                var held = only.Pinned.Count > 0 && only.Gpus != line.Gpus ? only.Pinned : blocks;
                ApplyPlacement(c.Id, new LinePlacement(line.Id, spec with { Gpus = only.Gpus }, held), null, PriorityOf(priorities, line.Id));
                continue;
            }
            var first = segments[0];
            var state = ApplyPlacement(c.Id, new LinePlacement(line.Id, spec with { Gpus = first.Gpus, Period = first.Period }, first.Pinned), null, PriorityOf(priorities, line.Id));
            for (var si = 1; si < segments.Count; si++)
            {
                var x = segments[si];
                long a = Utc.ToMinute(x.Period.Start), b = Utc.ToMinute(x.Period.End);
                foreach (var block in x.Pinned)
                {
                    if (FabricIndex.TryGetValue(block.Fabric, out var f)) new AddPieceOp(new Piece(state, f, block.Units, a, b)).Apply(this);
                    else issues.Add(new ValidationIssue($"{path}.amendments", $"fabric '{block.Fabric}' of an earlier version of the line is unknown"));
                }
            }
            state.Spec = spec;
        }
    }

    private static long? PriorityOf(Dictionary<LineId, long>? priorities, LineId line) =>
        priorities is not null && priorities.TryGetValue(line, out var p) ? p : null;

    /// <summary>
    /// Brings a contract in the ledger to <paramref name="after"/>, as stored by another writer (a server catching up
    /// from the change feed): its lines are taken out and added again as <see cref="Build"/> adds them, each existing line
    /// keeping its priority; a new contract's lines come last. A line with an unpinned stretch is placed now by the
    /// ledger's placement (a rebuild would place it after every pinned line). Not undoable; bumps the version.
    /// Returns the problems the stored contract has for the ledger (lines skipped, as a build skips them).
    /// </summary>
    public IReadOnlyList<ValidationIssue> ReplaceContract(Contract after)
    {
        ArgumentNullException.ThrowIfNull(after);
        var priorities = new Dictionary<LineId, long>();
        var old = new List<LineState>();
        foreach (var line in after.Lines)
            if (Lines.TryGetValue(new LineRef(after.Id, line.Id), out var state)) old.Add(state);
        // Lines are never deleted from a stored contract, so the stored version names every line the ledger holds of it.
        foreach (var state in old)
        {
            priorities[state.Ref.Line] = state.Priority;
            foreach (var piece in state.Pieces.ToList()) DeletePiece(piece);
            Lines.Remove(state.Ref);
        }
        var issues = new List<ValidationIssue>();
        var toPlace = new List<(LineRef Ref, DealLine Spec, IReadOnlyList<LineSegment> Segments)>();
        AddContract(after, 0, issues, toPlace, priorities);
        var unplaced = new List<UnplacedLine>();
        foreach (var (reference, spec, segments) in toPlace) PlaceSegments(reference, spec, segments, unplaced, priorities.TryGetValue(reference.Line, out var p) ? p : null);
        foreach (var u in unplaced) issues.Add(new ValidationIssue($"contracts[{after.Id}].lines[{u.Line.Line}]", "does not fit where the ledger would place it"));
        Version = ++_stamp;
        return issues;
    }

    /// <summary>
    /// Places a line the book does not pin (entirely, or in some stretch of its history): each stretch at the size it had,
    /// pinned stretches where they are pinned, the others where the ledger's placement puts them. A stretch that does not
    /// fit is left out and the line reported unplaced.
    /// </summary>
    private void PlaceSegments(LineRef reference, DealLine spec, IReadOnlyList<LineSegment> segments, List<UnplacedLine> unplaced, long? priority = null)
    {
        LineState? state = null;
        IReadOnlyList<BindingConstraint>? refused = null;
        foreach (var segment in segments)
        {
            var stretch = spec with { Gpus = segment.Gpus, Period = segment.Period };
            IReadOnlyList<PlacedBlock> blocks;
            if (segment.Pinned.Count > 0 && segment.Pinned.All(b => FabricIndex.TryGetValue(b.Fabric, out var f) && FabricPlatform[f] == PlatformIndex[spec.Platform] && b.Units > 0))
                blocks = segment.Pinned;
            else
            {
                var fit = CheckLines([stretch], [reference.Line]);
                if (!fit.Fits)
                {
                    refused ??= fit.Constraints;
                    continue;
                }
                blocks = fit.Placements[0].Blocks;
            }
            if (state is null)
            {
                state = ApplyPlacement(reference.Contract, new LinePlacement(reference.Line, stretch, blocks), null, priority);
                continue;
            }
            long a = Utc.ToMinute(segment.Period.Start), b = Utc.ToMinute(segment.Period.End);
            foreach (var block in blocks) new AddPieceOp(new Piece(state, FabricIndex[block.Fabric], block.Units, a, b)).Apply(this);
        }
        if (state is not null) state.Spec = spec;
        if (refused is not null) unplaced.Add(new UnplacedLine(reference, refused));
    }

    private static Delivery AsPromised(Delivery d) =>
        d.OriginalAcceptanceDate is { } first && first != d.AcceptanceDate && OnMinute(first) ? d with { AcceptanceDate = first } : d;

    private static bool OnMinute(DateTime t) =>
        t.Kind == DateTimeKind.Utc && (t.Ticks - Utc.Epoch.Ticks) % TimeSpan.TicksPerMinute == 0;

    /// <summary>What makes a scenario line unusable by the ledger (the build skips it and names the field), or null.</summary>
    private (string Field, string Message)? LineProblem(ContractLine line, int platform, DateTime end)
    {
        var unit = PlatformList[platform].GpusPerUnit;
        if (!OnMinute(line.Period.Start) || !OnMinute(end)) return ("period", "must start and end on whole UTC minutes");
        if (line.Gpus.Value <= 0 || line.Gpus.Value % unit != 0)
            return ("gpus", string.Create(CultureInfo.InvariantCulture, $"must be a positive multiple of the {line.Platform} unit ({unit})"));
        if (line.BlockSize is { } b && (b.Value <= 0 || b.Value % unit != 0))
            return ("blockSize", string.Create(CultureInfo.InvariantCulture, $"must be a positive multiple of the {line.Platform} unit ({unit})"));
        return line.MinSites < 1 ? ("minSites", "must be at least 1") : null;
    }

    /// <summary>The fabrics' ids, in the ledger's dense order.</summary>
    public IReadOnlyList<FabricId> FabricIds => FabricList.Select(f => f.Id).ToList();

    /// <summary>Least free units of a fabric over a period (negative when oversold by a slip).</summary>
    public int FreeUnits(FabricId fabric, Period period) =>
        Free[FabricIndex[fabric]].Min(Utc.ToMinute(period.Start), Utc.ToMinute(period.End));

    /// <summary>Accepted units of a fabric at an instant.</summary>
    public int SupplyUnits(FabricId fabric, DateTime at) => Supply[FabricIndex[fabric]].At(Utc.ToMinute(at));

    /// <summary>The lines in the book.</summary>
    public IReadOnlyCollection<LineRef> LineRefs => Lines.Keys;

    /// <summary>A line's current placement (pieces in order, each with the period it holds its units).</summary>
    public IReadOnlyList<(FabricId Fabric, int Units, Period Period)> PlacementOf(LineRef line) =>
        Lines.TryGetValue(line, out var state)
            ? state.Pieces.Select(p => (FabricList[p.Fabric].Id, p.Units, new Period(Utc.FromMinute(p.Start), Utc.FromMinute(p.End)))).ToList()
            : [];

    /// <summary>The whole state as text (timelines, deliveries, lines and pieces in order): tests compare it to prove an undo exact.</summary>
    internal string Snapshot()
    {
        var sb = new System.Text.StringBuilder();
        for (var f = 0; f < FabricList.Length; f++)
        {
            sb.Append(FabricList[f].Id.Value).Append(" free");
            for (var k = 0; k < Free[f].Count; k++) sb.Append(' ').Append(Free[f].Times[k]).Append(':').Append(Free[f].Values[k]);
            sb.Append(" supply");
            for (var k = 0; k < Supply[f].Count; k++) sb.Append(' ').Append(Supply[f].Times[k]).Append(':').Append(Supply[f].Values[k]);
            sb.Append(" pieces ").Append(FabricPieces[f].Count).AppendLine();
        }
        foreach (var d in Deliveries.Values.OrderBy(d => d.Id.Value, StringComparer.Ordinal)) sb.AppendLine(d.ToString());
        foreach (var line in Lines.Values.OrderBy(l => l.Priority))
        {
            sb.Append(line.Ref.ToString()).Append(' ').Append(line.Spec.Gpus.Value).Append(' ').Append(line.Spec.Period.ToString());
            foreach (var p in line.Pieces) sb.Append(' ').Append(p.Fabric).Append('x').Append(p.Units).Append('@').Append(p.Start).Append('-').Append(p.End);
            sb.AppendLine();
        }
        return sb.ToString();
    }

    /// <summary>
    /// Takes units out of fabrics' free counts over a period without a line (the units on-demand claims hold now), so
    /// that checks and placements made meanwhile leave them alone; <see cref="UnitHold.Release"/> gives them back.
    /// Holds only add to the free timelines, which commute with every other write, so they need no version or token
    /// order: a line committed while a hold is on stays committed after the hold is released.
    /// </summary>
    public UnitHold HoldUnits(IReadOnlyList<(FabricId Fabric, int Units)> holds, Period period)
    {
        ArgumentNullException.ThrowIfNull(holds);
        var a = Utc.ToMinute(period.Start);
        var b = Utc.ToMinute(period.End);
        var applied = new List<(int Fabric, int Units)>(holds.Count);
        foreach (var (fabric, units) in holds)
        {
            if (units < 0) throw new ArgumentOutOfRangeException(nameof(holds), $"A hold on fabric '{fabric}' must not be negative.");
            var f = FabricIndex[fabric];
            Free[f].Add(a, b, -units);
            FabricStamp[f]++;
            applied.Add((f, units));
        }
        return new UnitHold(this, applied, a, b);
    }

    internal void GiveBack(IReadOnlyList<(int Fabric, int Units)> holds, long a, long b)
    {
        foreach (var (f, units) in holds)
        {
            Free[f].Add(a, b, units);
            FabricStamp[f]++;
        }
    }

    /// <summary>Commits a checked placement for a new contract; refused (nothing changes) if any block no longer fits.</summary>
    public WriteResult Commit(ContractId contract, IReadOnlyList<LinePlacement> placements)
    {
        var journal = new List<LedgerOp>();
        foreach (var placement in placements)
        {
            var error = ValidatePlacement(contract, placement);
            if (error is null)
            {
                var line = ApplyPlacement(contract, placement, journal);
                error = FirstOversold(line);
            }
            if (error is not null)
            {
                Rollback(journal);
                return new WriteResult(null, [], error);
            }
        }
        return Seal(journal);
    }

    /// <summary>Checks a deal and commits it when it fits.</summary>
    public WriteResult Sign(ContractId contract, DealRequest deal)
    {
        var fit = Check(deal);
        return fit.Fits ? Commit(contract, fit.Placements) : new WriteResult(null, fit.Constraints, fit.Constraints[0].Reason);
    }

    /// <summary>Undoes a write exactly. Only the latest unreleased write may be released (newest first).</summary>
    public void Release(CommitToken token)
    {
        if (token.Released) throw new InvalidOperationException("This change has already been released.");
        if (token.VersionAfter != Version)
            throw new InvalidOperationException("Release the later changes first: tokens are released newest first.");
        for (var i = token.Ops.Count - 1; i >= 0; i--) token.Ops[i].Undo(this);
        token.Released = true;
        Version = token.VersionBefore;
    }

    /// <summary>Ends a line at <paramref name="effective"/>: the future is freed, the past keeps its placement.</summary>
    public WriteResult CancelLine(LineRef line, DateTime effective)
    {
        if (!Lines.TryGetValue(line, out var state)) return new WriteResult(null, [], $"Line {line} is not in the ledger.");
        var e = Utc.ToMinute(effective);
        var journal = new List<LedgerOp>();
        TrimFuture(state, e, journal);
        if (state.Pieces.Count == 0) Do(new RemoveLineOp(state), journal);
        else if (effective < state.Spec.Period.End)
        {
            Do(new SetSpecOp(state, state.Spec, state.Spec with { Period = new Period(state.Spec.Period.Start, effective) }), journal);
        }
        return Seal(journal);
    }

    /// <summary>
    /// Amends a line from <paramref name="effective"/> on: grow or shrink to <paramref name="gpus"/> and move its end
    /// to <paramref name="end"/>. Before the effective date nothing changes. Shrinking keeps the first blocks;
    /// growing keeps the full blocks and places the rest inside the line's locality group; extending keeps every
    /// block in its fabric. Refused (nothing changes) when the new shape does not fit.
    /// </summary>
    public WriteResult AmendLine(LineRef line, DateTime effective, GpuCount gpus, DateTime end)
    {
        if (!Lines.TryGetValue(line, out var state)) return new WriteResult(null, [], $"Line {line} is not in the ledger.");
        if (end <= effective) return new WriteResult(null, [], "The amended end must be after the effective date; use CancelLine to end a line.");
        var unit = PlatformList[state.Platform].GpusPerUnit;
        if (gpus.Value <= 0 || gpus.Value % unit != 0)
            return new WriteResult(null, [], string.Create(CultureInfo.InvariantCulture, $"GPUs must be a positive multiple of the unit ({unit})."));
        // The new shape holds from the effective date, or from the line's start when that is later.
        var e = Math.Max(Utc.ToMinute(effective), Utc.ToMinute(state.Spec.Period.Start));
        var newEnd = Utc.ToMinute(end);
        if (newEnd <= e) return new WriteResult(null, [], "The amended end must be after the line's start.");
        effective = Utc.FromMinute(e);
        var newUnits = gpus.Value / unit;
        var blockUnits = state.Spec.BlockSize is { } bs ? bs.Value / unit : 0;
        var future = state.Pieces.Where(p => p.End > e).ToList();
        var journal = new List<LedgerOp>();
        TrimFuture(state, e, journal);

        // Shrinking keeps whole blocks (and the new remainder in one fabric) across at least MinSites sites; growing keeps
        // every piece, except that with a block size the old remainder block is dropped and re-placed with the rest.
        var futureUnits = 0;
        foreach (var p in future) futureUnits += p.Units;
        List<(int Fabric, int Units, long Start, long OldStart, long OldEnd)> kept;
        var keptUnits = 0;
        if (newUnits <= futureUnits)
        {
            var shrunk = KeepOnShrink(state, future, newUnits, blockUnits);
            if (shrunk is null)
            {
                Rollback(journal);
                return new WriteResult(null, [], string.Create(CultureInfo.InvariantCulture,
                    $"Line {line} cannot shrink to {gpus.Value:N0} GPUs from {effective:yyyy-MM-dd}: the kept blocks must stay whole and span at least {state.Spec.MinSites} site{(state.Spec.MinSites == 1 ? "" : "s")}."));
            }
            // Each fabric's kept units come out of its pieces in order, so every kept piece is checked against the
            // stretch its own old piece held (a piece that started after the effective date holds nothing before it).
            kept = [];
            foreach (var (fabric, units) in shrunk)
            {
                var left = units;
                foreach (var p in future)
                {
                    if (p.Fabric != fabric || left == 0) continue;
                    var take = Math.Min(p.Units, left);
                    kept.Add((fabric, take, e, p.Start, p.End));
                    left -= take;
                    keptUnits += take;
                }
            }
        }
        else
        {
            kept = [];
            foreach (var p in future)
            {
                var take = blockUnits > 0 && p.Units < blockUnits ? 0 : p.Units;
                if (take <= 0) continue;
                kept.Add((p.Fabric, take, e, p.Start, p.End));
                keptUnits += take;
            }
        }
        foreach (var (fabric, units, start, _, _) in kept) Do(new AddPieceOp(new Piece(state, fabric, units, start, newEnd)), journal);
        // Within its old term a kept piece holds no more than before, so only the time it newly covers can
        // oversell (a fabric already short from a slipped delivery does not block a shrink). Checked once all
        // kept pieces are back, since they may share a fabric.
        foreach (var (fabric, units, start, oldStart, oldEnd) in kept)
        {
            var from = Math.Max(start, oldEnd);
            var earlyEnd = Math.Min(oldStart, newEnd);
            if ((from < newEnd && Free[fabric].Min(from, newEnd) < 0) || (start < earlyEnd && Free[fabric].Min(start, earlyEnd) < 0))
            {
                Rollback(journal);
                return new WriteResult(null, [], string.Create(CultureInfo.InvariantCulture,
                    $"Line {line} cannot keep {units * unit:N0} GPUs in fabric {FabricList[fabric].Id} until {end:yyyy-MM-dd}: the fabric is full before then."));
            }
        }
        var newSpec = state.Spec with { Gpus = gpus, Period = new Period(state.Spec.Period.Start, end) };
        if (keptUnits < newUnits)
        {
            var extra = newSpec with { Gpus = new GpuCount((newUnits - keptUnits) * unit), Period = new Period(effective, end), MinSites = 1 };
            var group = state.Pieces.Count > 0 && extra.Locality != Locality.Any ? state.Pieces[0].Fabric : -1;
            var fit = CheckLines([extra], [line.Line], group);
            if (!fit.Fits)
            {
                Rollback(journal);
                return new WriteResult(null, fit.Constraints, fit.Constraints[0].Reason);
            }
            foreach (var b in fit.Placements[0].Blocks)
                Do(new AddPieceOp(new Piece(state, FabricIndex[b.Fabric], b.Units, e, newEnd)), journal);
            // The added part was placed on its own (one site asked): the grown line as a whole must still span MinSites.
            var sites = new HashSet<int>();
            foreach (var p in state.Pieces) if (p.End == newEnd) sites.Add(FabricSite[p.Fabric]);
            if (sites.Count < state.Spec.MinSites)
            {
                Rollback(journal);
                return new WriteResult(null, [], string.Create(CultureInfo.InvariantCulture,
                    $"Line {line} cannot grow to {gpus.Value:N0} GPUs from {effective:yyyy-MM-dd} over at least {state.Spec.MinSites} sites: its blocks would sit in {sites.Count}."));
            }
        }
        if (state.Pieces.Count == 0) Do(new RemoveLineOp(state), journal);
        else Do(new SetSpecOp(state, state.Spec, newSpec), journal);
        return Seal(journal);
    }

    /// <summary>
    /// Which units a line keeps per fabric when it shrinks to <paramref name="newUnits"/>: whole blocks (one unit each
    /// without a block size) plus the new remainder in one fabric, first one block in each site until MinSites sites hold
    /// one, then the earliest pieces first. Null when no such choice exists (fewer blocks than MinSites, or no fabric with
    /// room for the remainder).
    /// </summary>
    private List<(int Fabric, int Units)>? KeepOnShrink(LineState state, List<Piece> future, int newUnits, int blockUnits)
    {
        var b = blockUnits > 0 ? blockUnits : 1;
        var fabrics = new List<int>();
        var held = new Dictionary<int, int>();
        foreach (var p in future)
        {
            if (!held.ContainsKey(p.Fabric)) fabrics.Add(p.Fabric);
            held[p.Fabric] = held.GetValueOrDefault(p.Fabric) + p.Units;
        }
        var blocks = newUnits / b;
        var remainder = newUnits % b;
        var keep = new Dictionary<int, int>();
        var sites = new HashSet<int>();
        // One block per site first, so the shrunk line still spans MinSites sites where it can.
        foreach (var f in fabrics)
        {
            if (blocks == 0 || sites.Count >= state.Spec.MinSites) break;
            if (sites.Contains(FabricSite[f]) || held[f] < b) continue;
            keep[f] = b;
            sites.Add(FabricSite[f]);
            blocks--;
        }
        foreach (var f in fabrics)
        {
            while (blocks > 0 && held[f] - keep.GetValueOrDefault(f) >= b)
            {
                keep[f] = keep.GetValueOrDefault(f) + b;
                sites.Add(FabricSite[f]);
                blocks--;
            }
        }
        if (blocks > 0) return null;
        if (remainder > 0)
        {
            var placed = false;
            foreach (var f in fabrics)
            {
                if (held[f] - keep.GetValueOrDefault(f) < remainder) continue;
                keep[f] = keep.GetValueOrDefault(f) + remainder;
                sites.Add(FabricSite[f]);
                placed = true;
                break;
            }
            if (!placed) return null;
        }
        if (sites.Count < state.Spec.MinSites) return null;
        var result = new List<(int Fabric, int Units)>();
        foreach (var f in fabrics)
            if (keep.TryGetValue(f, out var u) && u > 0) result.Add((f, u));
        return result;
    }

    /// <summary>Adds, moves, resizes or slips a delivery; returns every line now uncovered.</summary>
    public DeliveryChangeResult ApplyDeliveryChange(Delivery delivery)
    {
        if (!FabricIndex.ContainsKey(delivery.Fabric)) throw new ArgumentException($"Unknown fabric '{delivery.Fabric}'.", nameof(delivery));
        if (delivery.Units <= 0) throw new ArgumentException("A delivery must bring at least one unit.", nameof(delivery));
        Deliveries.TryGetValue(delivery.Id, out var before);
        var journal = new List<LedgerOp>();
        Do(new SetDeliveryOp(delivery.Id, before, delivery), journal);
        var token = Seal(journal).Token!;
        return new DeliveryChangeResult(token, Uncovered());
    }

    /// <summary>
    /// Sets a delivery as another writer stored it (a server catching up from the change feed): supply and free units
    /// follow, as in <see cref="ApplyDeliveryChange"/>, without the uncovered report. Not undoable; bumps the version.
    /// </summary>
    public void SetDelivery(Delivery delivery)
    {
        ArgumentNullException.ThrowIfNull(delivery);
        if (!FabricIndex.ContainsKey(delivery.Fabric)) throw new ArgumentException($"Unknown fabric '{delivery.Fabric}'.", nameof(delivery));
        Deliveries.TryGetValue(delivery.Id, out var before);
        new SetDeliveryOp(delivery.Id, before, delivery).Apply(this);
        Version = ++_stamp;
    }

    internal void ReplaceDelivery(DeliveryId id, Delivery? before, Delivery? after)
    {
        if (before is not null)
        {
            var f = FabricIndex[before.Fabric];
            var t = Utc.ToMinute(before.AcceptanceDate);
            Supply[f].Add(t, long.MaxValue, -before.Units);
            Free[f].Add(t, long.MaxValue, -before.Units);
            FabricStamp[f]++;
            Deliveries.Remove(id);
        }
        if (after is not null)
        {
            var f = FabricIndex[after.Fabric];
            var t = Utc.ToMinute(after.AcceptanceDate);
            Supply[f].Add(t, long.MaxValue, after.Units);
            Free[f].Add(t, long.MaxValue, after.Units);
            FabricStamp[f]++;
            Deliveries[id] = after;
        }
    }

    internal void InsertPiece(Piece piece, int index)
    {
        piece.Line.Pieces.Insert(index, piece);
        piece.Line.ChangedAt = ++PieceChanges;
        FabricPieces[piece.Fabric].Add(piece);
        Free[piece.Fabric].Add(piece.Start, piece.End, -piece.Units);
        FabricStamp[piece.Fabric]++;
    }

    internal int DeletePiece(Piece piece)
    {
        var index = piece.Line.Pieces.IndexOf(piece);
        piece.Line.Pieces.RemoveAt(index);
        piece.Line.ChangedAt = ++PieceChanges;
        FabricPieces[piece.Fabric].Remove(piece);
        Free[piece.Fabric].Add(piece.Start, piece.End, piece.Units);
        FabricStamp[piece.Fabric]++;
        return index;
    }

    /// <summary>Adds a line and its blocks; with a null journal (building) the change is not undoable.</summary>
    internal LineState ApplyPlacement(ContractId contract, LinePlacement placement, List<LedgerOp>? journal, long? priority = null)
    {
        var spec = placement.Spec;
        var state = new LineState(new LineRef(contract, placement.Line), PlatformIndex[spec.Platform], priority ?? _nextPriority++, spec);
        Do(new AddLineOp(state), journal);
        var a = Utc.ToMinute(spec.Period.Start);
        var b = Utc.ToMinute(spec.Period.End);
        foreach (var block in placement.Blocks) Do(new AddPieceOp(new Piece(state, FabricIndex[block.Fabric], block.Units, a, b)), journal);
        return state;
    }

    private string? ValidatePlacement(ContractId contract, LinePlacement placement)
    {
        if (Lines.ContainsKey(new LineRef(contract, placement.Line))) return $"Line {contract}/{placement.Line} is already in the ledger.";
        if (!PlatformIndex.TryGetValue(placement.Spec.Platform, out var p)) return $"Unknown platform '{placement.Spec.Platform}'.";
        var units = 0;
        foreach (var block in placement.Blocks)
        {
            if (!FabricIndex.TryGetValue(block.Fabric, out var f) || FabricPlatform[f] != p || block.Units <= 0)
                return $"Block in fabric '{block.Fabric}' is not a positive number of {placement.Spec.Platform} units in a known fabric.";
            units += block.Units;
        }
        return units * PlatformList[p].GpusPerUnit == placement.Spec.Gpus.Value
            ? null
            : $"The blocks of line {placement.Line} do not add up to its {placement.Spec.Gpus} GPUs.";
    }

    private string? FirstOversold(LineState line)
    {
        foreach (var piece in line.Pieces)
        {
            if (Free[piece.Fabric].Min(piece.Start, piece.End) < 0)
                return $"Fabric {FabricList[piece.Fabric].Id} no longer has room for line {line.Ref}: another commitment took it first.";
        }
        return null;
    }

    private void TrimFuture(LineState state, long e, List<LedgerOp> journal)
    {
        var future = state.Pieces.Where(p => p.End > e).ToList();
        foreach (var p in future)
        {
            Do(new RemovePieceOp(p), journal);
            if (p.Start < e) Do(new AddPieceOp(new Piece(state, p.Fabric, p.Units, p.Start, e)), journal);
        }
    }

    private void Do(LedgerOp op, List<LedgerOp>? journal)
    {
        op.Apply(this);
        journal?.Add(op);
    }

    private void Rollback(List<LedgerOp> journal)
    {
        for (var i = journal.Count - 1; i >= 0; i--) journal[i].Undo(this);
        journal.Clear();
    }

    private WriteResult Seal(List<LedgerOp> journal)
    {
        var before = Version;
        Version = ++_stamp;
        return new WriteResult(new CommitToken(before, Version, journal), [], null);
    }
}
