using Google.OrTools.Sat;
using Lessor.Core.Model;
using LinearExpr = Google.OrTools.Sat.LinearExpr;

namespace Lessor.Planning;

/// <summary>The solver's answer: new units per candidate (same order as the plan space), and whether it is proven least-cost.</summary>
internal sealed record UnitSolution(bool Feasible, bool Optimal, bool Unknown, int[] Units);

/// <summary>
/// The CP-SAT model of the build-out (docs/buildout.md): new units per candidate fabric and, per deal line, its blocks
/// per fabric, so that every line fits its locality, blocks and min sites, every fabric stays within its room, and
/// every site's new kW stays within its power headroom from each acceptance date on; least capex first, then fewer
/// new fabrics, then fewer deliveries.
/// </summary>
internal static class UnitModel
{
    public static UnitSolution Solve(PlanSpace space, PlanOptions options, bool ignorePower)
    {
        var model = new CpModel();
        var cands = space.Candidates;
        var n = cands.Count;
        var x = new IntVar[n];
        var used = new BoolVar[n];
        for (var c = 0; c < n; c++)
        {
            x[c] = model.NewIntVar(0, cands[c].Room, "x");
            used[c] = model.NewBoolVar("d");
            model.Add(x[c] <= LinearExpr.Term(used[c], cands[c].Room));
            // New slots of one site and platform are interchangeable: fill them in order.
            if (c > 0 && cands[c].IsNew && cands[c - 1].IsNew && cands[c - 1].Site == cands[c].Site && cands[c - 1].Platform == cands[c].Platform)
                model.Add(x[c - 1] >= x[c]);
        }

        var lines = space.Lines;
        var load = new LinearExprBuilder?[lines.Count, n];
        for (var l = 0; l < lines.Count; l++)
        {
            var line = lines[l];
            var p = space.Platforms[space.LinePlatform[l]].Platform;
            var units = line.Gpus.Value / p.GpusPerUnit;
            var blockUnits = line.BlockSize is { } b ? b.Value / p.GpusPerUnit : 1;
            var full = units / blockUnits;
            var remainder = units % blockUnits;
            var blocks = LinearExpr.NewBuilder();
            var rests = LinearExpr.NewBuilder();
            var groups = new Dictionary<string, LinearExprBuilder>(StringComparer.Ordinal);
            var groupCands = new Dictionary<string, List<(IntVar Y, BoolVar? Z)>>(StringComparer.Ordinal);
            var siteUse = new Dictionary<int, LinearExprBuilder>();
            for (var c = 0; c < n; c++)
            {
                if (cands[c].Free[l] is null) continue;
                var y = model.NewIntVar(0, full, "y");
                blocks.Add(y);
                BoolVar? z = null;
                var lineLoad = LinearExpr.NewBuilder().AddTerm(y, blockUnits);
                if (remainder > 0)
                {
                    z = model.NewBoolVar("z");
                    rests.Add(z);
                    lineLoad.AddTerm(z, remainder);
                }
                load[l, c] = lineLoad;
                var key = GroupKey(space, cands[c], line.Locality);
                if (!groupCands.TryGetValue(key, out var list)) groupCands[key] = list = [];
                list.Add((y, z));
                if (line.MinSites > 1)
                {
                    if (!siteUse.TryGetValue(cands[c].Site, out var su)) siteUse[cands[c].Site] = su = LinearExpr.NewBuilder();
                    su.Add(y);
                    if (z is not null) su.Add(z);
                }
            }
            model.Add(blocks == full);
            if (remainder > 0) model.Add(rests == 1);
            if (groupCands.Count > 1)
            {
                var choice = new List<ILiteral>();
                foreach (var (_, members) in groupCands)
                {
                    var g = model.NewBoolVar("g");
                    choice.Add(g);
                    foreach (var (y, z) in members)
                    {
                        model.Add(y <= LinearExpr.Term(g, full));
                        if (z is not null) model.AddImplication(z, g);
                    }
                }
                model.AddExactlyOne(choice);
            }
            if (line.MinSites > 1)
            {
                // A site counts when it holds a full block or the remainder, as the ledger counts it.
                var sites = LinearExpr.NewBuilder();
                foreach (var (_, su) in siteUse)
                {
                    var u = model.NewBoolVar("u");
                    model.Add(LinearExpr.Term(u, 1) <= su);
                    sites.Add(u);
                }
                model.Add(sites >= line.MinSites);
            }
        }

        // Capacity: over each line's period, every deal line overlapping it shares the fabric's free units plus new ones.
        for (var c = 0; c < n; c++)
        {
            for (var l = 0; l < lines.Count; l++)
            {
                if (load[l, c] is null) continue;
                var sum = LinearExpr.NewBuilder();
                for (var k = 0; k < lines.Count; k++)
                {
                    if (load[k, c] is { } other && lines[k].Period.Overlaps(lines[l].Period)) sum.Add(other);
                }
                // New units count only for lines that start once they are accepted (conservative for the others).
                var room = LinearExpr.NewBuilder().Add(cands[c].Free[l]!.Value);
                if (lines[l].Period.Start >= space.Platforms[cands[c].Platform].Acceptance) room.Add(x[c]);
                model.Add(sum <= room);
            }
        }

        if (!ignorePower) AddPower(model, space, x);

        // Lexicographic: least capex first (its LP bound is tight, so this is proven fast), then, at that capex, fewer
        // new fabrics and fewer deliveries, which is a packing problem: searched briefly from the first answer, not proven.
        var capex = LinearExpr.NewBuilder();
        var tidy = LinearExpr.NewBuilder();
        for (var c = 0; c < n; c++)
        {
            capex.AddTerm(x[c], space.Platforms[cands[c].Platform].CapexCents);
            tidy.AddTerm(used[c], cands[c].IsNew ? 2 : 1);
        }
        model.Minimize(capex);
        var result = new int[n];
        using (var solver = Solver(options, options.SolverDeterministicSeconds))
        {
            var status = solver.Solve(model);
            if (status is not (CpSolverStatus.Optimal or CpSolverStatus.Feasible))
                return new UnitSolution(false, false, status == CpSolverStatus.Unknown, result);
            for (var c = 0; c < n; c++) result[c] = (int)solver.Value(x[c]);
            var optimal = status == CpSolverStatus.Optimal;
            var best = (long)Math.Round(solver.ObjectiveValue);
            model.Add(capex <= best);
            for (var c = 0; c < n; c++) model.AddHint(x[c], result[c]);
            model.Minimize(tidy);
            using var second = Solver(options, options.TidyDeterministicSeconds);
            var tidied = second.Solve(model);
            if (tidied is CpSolverStatus.Optimal or CpSolverStatus.Feasible)
                for (var c = 0; c < n; c++) result[c] = (int)second.Value(x[c]);
            return new UnitSolution(true, optimal, false, result);
        }
    }

    private static CpSolver Solver(PlanOptions options, double deterministicSeconds) => new()
    {
        StringParameters = string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"num_workers:1,random_seed:{options.Seed},max_deterministic_time:{deterministicSeconds}"),
    };

    /// <summary>At every site and acceptance date: new watts of every platform accepted by then within the headroom from then on.</summary>
    private static void AddPower(CpModel model, PlanSpace space, IntVar[] x)
    {
        var cands = space.Candidates;
        var sites = new SortedSet<int>();
        foreach (var c in cands) if (c.Room > 0) sites.Add(c.Site);
        foreach (var si in sites)
        {
            for (var q = 0; q < space.Platforms.Count; q++)
            {
                if (!space.Platforms[q].CanBuild) continue;
                var at = space.Platforms[q].Acceptance;
                var drawn = LinearExpr.NewBuilder();
                var any = false;
                for (var c = 0; c < cands.Count; c++)
                {
                    var pp = space.Platforms[cands[c].Platform];
                    if (cands[c].Site != si || cands[c].Room == 0 || pp.Acceptance > at) continue;
                    drawn.AddTerm(x[c], pp.WattsPerUnit);
                    any = true;
                }
                if (any) model.Add(drawn <= space.Headroom[si][q]);
            }
        }
    }

    private static string GroupKey(PlanSpace space, Candidate c, Locality locality) => locality switch
    {
        Locality.Fabric => "f:" + c.Id.Value,
        Locality.Site => "s:" + space.Scenario.Sites[c.Site].Id.Value,
        Locality.Region => "r:" + space.Scenario.Sites[c.Site].Region.Value,
        _ => "*",
    };
}
