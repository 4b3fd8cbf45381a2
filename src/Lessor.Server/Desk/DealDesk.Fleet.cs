using Lessor.Core.Model;

namespace Lessor.Server.Desk;

// The desk's side facing the fleet desk (docs/fleet.md, "Assignment over time"): when the placement of committed lines
// next changes, so the fleet reassigns nodes at that instant and not only when the book is written.
public sealed partial class DealDesk
{
    /// <summary>
    /// The first instant after <paramref name="after"/> at which a committed line's placement changes (one of its pieces
    /// starts or ends), or null when none does.
    /// </summary>
    public DateTime? NextPlacementChange(DateTime after)
    {
        var s = Scenario;
        DateTime? next = null;
        lock (_ledgerGate)
        {
            foreach (var c in s.Contracts)
            {
                foreach (var l in c.CommittedLines)
                {
                    foreach (var (_, _, period) in _ledger.PlacementOf(new LineRef(c.Id, l.Id)))
                    {
                        if (period.Start > after && (next is null || period.Start < next)) next = period.Start;
                        if (period.End > after && (next is null || period.End < next)) next = period.End;
                    }
                }
            }
        }
        return next;
    }
}
