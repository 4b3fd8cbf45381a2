namespace Lessor.Core.Fleet;

/// <summary>Where a node is in its life (docs/fleet.md): only <see cref="InService"/> and <see cref="Degraded"/> nodes serve.</summary>
public enum NodeState
{
    /// <summary>Arrived; waits for its delivery's burn-in gate.</summary>
    BurnIn,

    /// <summary>Healthy: serves a line, waits as a spare, or is free.</summary>
    InService,

    /// <summary>Works, but a rule saw a warning sign; serves, and counts by the contract's degraded policy.</summary>
    Degraded,

    /// <summary>Out: a failing signal. Only an operator brings it back (repair, then return to service).</summary>
    Failed,

    /// <summary>Being repaired by hand.</summary>
    InRepair,

    /// <summary>Sent back to the vendor.</summary>
    Rma,

    /// <summary>Out for good; nothing brings it back.</summary>
    Retired,
}

/// <summary>What an operator does to a node (or, for burn-in, what its delivery's gate found).</summary>
public enum NodeAction
{
    StartRepair,
    Rma,
    ReturnToService,
    Retire,
    BurnInPass,
    BurnInFail,
}

/// <summary>How bad one report's worst signal is.</summary>
public enum Severity
{
    Clean,
    Degrade,
    Fail,
}

/// <summary>One node's change of state, with its instant and the cause (the rule or the operator's action).</summary>
public sealed record NodeTransition(string Node, NodeState From, NodeState To, DateTime At, string Cause);

/// <summary>Names of states and actions as they appear on the wire and in the store.</summary>
public static class FleetText
{
    public static string Name(NodeState s) => s switch
    {
        NodeState.BurnIn => "burn_in",
        NodeState.InService => "in_service",
        NodeState.Degraded => "degraded",
        NodeState.Failed => "failed",
        NodeState.InRepair => "in_repair",
        NodeState.Rma => "rma",
        NodeState.Retired => "retired",
        _ => throw new ArgumentOutOfRangeException(nameof(s), s, null),
    };

    public static bool TryParseState(string? text, out NodeState state)
    {
        foreach (var s in Enum.GetValues<NodeState>())
        {
            if (Name(s) == text)
            {
                state = s;
                return true;
            }
        }
        state = default;
        return false;
    }

    public static string Name(NodeAction a) => a switch
    {
        NodeAction.StartRepair => "start_repair",
        NodeAction.Rma => "rma",
        NodeAction.ReturnToService => "return_to_service",
        NodeAction.Retire => "retire",
        NodeAction.BurnInPass => "burn_in_pass",
        NodeAction.BurnInFail => "burn_in_fail",
        _ => throw new ArgumentOutOfRangeException(nameof(a), a, null),
    };

    public static bool TryParseAction(string? text, out NodeAction action)
    {
        foreach (var a in Enum.GetValues<NodeAction>())
        {
            if (Name(a) == text)
            {
                action = a;
                return true;
            }
        }
        action = default;
        return false;
    }

    /// <summary>True for the states in which a node can serve a line.</summary>
    public static bool Serves(NodeState s) => s is NodeState.InService or NodeState.Degraded;
}
