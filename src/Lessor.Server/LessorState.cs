using Lessor.Core.Model;
using Lessor.Server.Desk;
using Lessor.Storage.Store;

namespace Lessor.Server;

/// <summary>
/// The server's view of the ledger: the store (system of record) and the deal desk holding the in-memory model
/// rebuilt from it at start. Reads are served from memory; writes go through the desk's single write path.
/// </summary>
public sealed class LessorState(LessorStore store, DealDesk desk)
{
    public LessorStore Store { get; } = store;
    public DealDesk Desk { get; } = desk;

    /// <summary>The current, immutable snapshot of the book; swapped after each committed write.</summary>
    public Scenario Scenario => Desk.Scenario;
}
