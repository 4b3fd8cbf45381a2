using Lessor.Core.Model;

namespace Lessor.Server.Desk;

// The desk's side facing the fleet desk (docs/fleet.md, "Assignment over time"): where the committed lines sit at an
// instant and when that next changes, so the fleet reassigns nodes at that instant and not only when the book is written.
public sealed partial class DealDesk
{
    /// <summary>
    /// Where the committed lines sit at <paramref name="at"/> (units per (line, fabric), lines in contract then line order,
    /// as <see cref="PlacementAt"/>) and the first instant after it at which a line's placement changes (one of its pieces
    /// starts or ends; null when none does). The ledger lock is taken per line, not for the whole book, so writers are not
    /// held up by a pass over every line: a write landing meanwhile moves <see cref="Revision"/>, and the fleet looks again.
    /// </summary>
    public (IReadOnlyList<(LineRef Line, FabricId Fabric, int Units)> Placement, DateTime? NextChange) PlacementWithNextChange(DateTime at)
    {
        var s = Scenario;
        var result = new List<(LineRef, FabricId, int)>();
        DateTime? next = null;
        foreach (var c in s.Contracts.OrderBy(c => c.Id.Value, StringComparer.Ordinal))
        {
            foreach (var l in c.CommittedLines.OrderBy(l => l.Id.Value, StringComparer.Ordinal))
            {
                var line = new LineRef(c.Id, l.Id);
                IReadOnlyList<(FabricId Fabric, int Units, Period Period)> pieces;
                lock (_ledgerGate) pieces = _ledger.PlacementOf(line);
                foreach (var (fabric, units, period) in pieces)
                {
                    if (period.Contains(at) && units > 0) result.Add((line, fabric, units));
                    if (period.Start > at && (next is null || period.Start < next)) next = period.Start;
                    if (period.End > at && (next is null || period.End < next)) next = period.End;
                }
            }
        }
        return (result, next);
    }
}
