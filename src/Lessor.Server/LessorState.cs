using Lessor.Core.Model;
using Lessor.Storage.Store;

namespace Lessor.Server;

/// <summary>
/// The server's view of the ledger: the store (system of record) and the in-memory model rebuilt from it at
/// start. Reads are served from memory; writes go through the store and then replace the snapshot.
/// </summary>
public sealed class LessorState(LessorStore store, Scenario scenario)
{
    private Scenario _scenario = scenario;

    public LessorStore Store { get; } = store;

    /// <summary>The current, immutable snapshot; swapped atomically after each committed write.</summary>
    public Scenario Scenario => Volatile.Read(ref _scenario);

    internal void Replace(Scenario next) => Volatile.Write(ref _scenario, next);
}
