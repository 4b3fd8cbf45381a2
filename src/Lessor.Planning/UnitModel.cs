using Google.OrTools.Sat;
using Lessor.Core.Model;
using LinearExpr = Google.OrTools.Sat.LinearExpr;

namespace Lessor.Planning;

/// <summary>The solver's answer: new units per candidate (same order as the plan space), and whether every pass (capex, new fabrics, deliveries) is proven.</summary>
internal sealed record UnitSolution(bool Feasible, bool Optimal, bool Unknown, int[] Units);

/// <summary>
/// The CP-SAT model of the build-out (docs/buildout.md): new units per candidate fabric and, per deal line, its blocks
/// per fabric, so that every line fits its locality, blocks and min sites, every fabric stays within its room, and
/// every site's new kW stays within its power headroom from each acceptance date on; least capex first, then fewer
/// new fabrics, then fewer deliveries, in that strict order.
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

        // Lexicographic, one CP-SAT pass per criterion: least capex, then (at that capex) fewer new fabrics, then (at
        // both) fewer deliveries. Each pass fixes the previous optimum as a constraint, so no weight can trade one
        // criterion for another (a weighted sum let one new fabric tie with two deliveries into existing fabrics).
        var capex = LinearExpr.NewBuilder();
        var opened = LinearExpr.NewBuilder();
        var deliveries = LinearExpr.NewBuilder();
        for (var c = 0; c < n; c++)
        {
            capex.AddTerm(x[c], space.Platforms[cands[c].Platform].CapexCents);
            if (cands[c].IsNew) opened.Add(used[c]);
            deliveries.Add(used[c]);
        }
        var result = new int[n];
        var hint = new int[n];
        var proven = true;
        LinearExprBuilder[] objectives = [capex, opened, deliveries];
        for (var pass = 0; pass < objectives.Length; pass++)
        {
            model.Minimize(objectives[pass]);
            if (pass > 0)
            {
                // Start from the previous pass's answer, which is feasible here too.
                model.Model.SolutionHint = null;
                for (var c = 0; c < n; c++)
                {
                    model.AddHint(x[c], result[c]);
                    model.AddHint(used[c], hint[c]);
                }
            }
            using var solver = Solver(options, pass == 0 ? options.SolverDeterministicSeconds : options.TieBreakDeterministicSeconds);
            var status = solver.Solve(model);
            if (status is not (CpSolverStatus.Optimal or CpSolverStatus.Feasible))
            {
                if (pass == 0) return new UnitSolution(false, false, status == CpSolverStatus.Unknown, result);
                // A tie-break pass out of budget keeps the previous pass's answer, which meets every fixed optimum.
                proven = false;
                break;
            }
            proven &= status == CpSolverStatus.Optimal;
            for (var c = 0; c < n; c++)
            {
                result[c] = (int)solver.Value(x[c]);
                hint[c] = result[c] > 0 ? 1 : 0;
            }
            // Unproven, the found value still bounds every later pass, so the answer stays feasible and consistent.
            model.Add(objectives[pass] <= (long)Math.Round(solver.ObjectiveValue));
        }
        return new UnitSolution(true, proven, false, result);
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
