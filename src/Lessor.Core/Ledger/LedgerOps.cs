using Lessor.Core.Model;

namespace Lessor.Core.Ledger;

/// <summary>Units of one line held in one fabric over [Start, End) minutes: the unit of commitment.</summary>
internal sealed class Piece(LineState line, int fabric, int units, long start, long end)
{
    public LineState Line { get; } = line;
    public int Fabric { get; } = fabric;
    public int Units { get; } = units;
    public long Start { get; } = start;
    public long End { get; } = end;
}

/// <summary>A committed line inside the ledger: its rules, its priority for coverage, and its pieces in order.</summary>
internal sealed class LineState(LineRef reference, int platform, long priority, DealLine spec)
{
    public LineRef Ref { get; } = reference;
    public int Platform { get; } = platform;

    /// <summary>Lower is served first when a slipped delivery leaves a fabric short: earlier signed lines keep their GPUs.</summary>
    public long Priority { get; } = priority;
    public DealLine Spec { get; set; } = spec;
    public List<Piece> Pieces { get; } = [];

    /// <summary>The ledger's change counter when a piece was last added to or taken from this line.</summary>
    public long ChangedAt { get; set; }
}

/// <summary>One primitive, invertible change of the ledger; a write is a journal of these.</summary>
internal abstract class LedgerOp
{
    public abstract void Apply(CapacityLedger ledger);
    public abstract void Undo(CapacityLedger ledger);
}

/// <summary>Adds a piece: takes its units from the fabric's free timeline.</summary>
internal sealed class AddPieceOp(Piece piece) : LedgerOp
{
    public override void Apply(CapacityLedger ledger) => ledger.InsertPiece(piece, piece.Line.Pieces.Count);
    public override void Undo(CapacityLedger ledger) => ledger.DeletePiece(piece);
}

/// <summary>Removes a piece, remembering its position in the line so the undo puts it back in order.</summary>
internal sealed class RemovePieceOp(Piece piece) : LedgerOp
{
    private int _index = -1;

    public override void Apply(CapacityLedger ledger) => _index = ledger.DeletePiece(piece);
    public override void Undo(CapacityLedger ledger) => ledger.InsertPiece(piece, _index);
}

/// <summary>Adds a line to the book.</summary>
internal sealed class AddLineOp(LineState line) : LedgerOp
{
    public override void Apply(CapacityLedger ledger) => ledger.Lines.Add(line.Ref, line);
    public override void Undo(CapacityLedger ledger) => ledger.Lines.Remove(line.Ref);
}

/// <summary>Removes a line (with no pieces left) from the book.</summary>
internal sealed class RemoveLineOp(LineState line) : LedgerOp
{
    public override void Apply(CapacityLedger ledger) => ledger.Lines.Remove(line.Ref);
    public override void Undo(CapacityLedger ledger) => ledger.Lines.Add(line.Ref, line);
}

/// <summary>Replaces a line's terms (an amendment or a cancellation).</summary>
internal sealed class SetSpecOp(LineState line, DealLine before, DealLine after) : LedgerOp
{
    public override void Apply(CapacityLedger ledger) => line.Spec = after;
    public override void Undo(CapacityLedger ledger) => line.Spec = before;
}

/// <summary>Replaces a delivery (new, moved, resized or slipped): supply and free capacity follow.</summary>
internal sealed class SetDeliveryOp(DeliveryId id, Delivery? before, Delivery? after) : LedgerOp
{
    public override void Apply(CapacityLedger ledger) => ledger.ReplaceDelivery(id, before, after);
    public override void Undo(CapacityLedger ledger) => ledger.ReplaceDelivery(id, after, before);
}
