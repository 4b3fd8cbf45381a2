using Lessor.Core.Model;

namespace Lessor.Core.Claims;

/// <summary>How close together the nodes of one on-demand claim must sit.</summary>
public enum ClaimScope
{
    /// <summary>All nodes in one scale-out fabric.</summary>
    Fabric,

    /// <summary>All nodes in one scale-up (NVLink) domain: one unit (an NVL72 rack, an HGX node).</summary>
    ScaleUpDomain,
}

/// <summary>Identifies an on-demand claim; chosen by the caller so that retries and replays can name it.</summary>
public readonly record struct ClaimId(string Value) { public override string ToString() => Value; }

/// <summary>One schedulable node: a compute tray of a unit in a fabric (tray 0 for an HGX node, 0..17 for an NVL72 rack).</summary>
public readonly record struct NodeId(FabricId Fabric, int Unit, int Tray)
{
    public override string ToString() => $"{Fabric}/{Unit}/{Tray}";
}

/// <summary>Nodes held by a customer now, until released.</summary>
public sealed record Claim(ClaimId Id, CustomerId Customer, PlatformId Platform, ClaimScope Scope, IReadOnlyList<NodeId> Nodes);

/// <summary>What a claim asks for: how many nodes of which platform, how close together, for whom.</summary>
public sealed record ClaimRequest(ClaimId Id, PlatformId Platform, int Nodes, ClaimScope Scope, CustomerId Customer);

/// <summary>The outcome of a claim: the nodes held, or why none were (nothing changes then).</summary>
public sealed record ClaimResult(Claim? Claim, string? Field, string? Reason)
{
    public bool Granted => Claim is not null;
}

/// <summary>How a platform's unit splits into schedulable nodes.</summary>
public static class NodeShape
{
    /// <summary>
    /// Nodes per unit: an 8-GPU HGX unit is one node; rack-scale units split into compute trays of 4 GPUs
    /// (NVL72: 18 trays, one scale-up domain); an AWS Trn2 UltraServer is 4 instances of 16 chips.
    /// </summary>
    public static int NodesPerUnit(Platform platform)
    {
        ArgumentNullException.ThrowIfNull(platform);
        if (platform.GpusPerUnit <= 8) return 1;
        if (string.Equals(platform.Vendor, "AWS", StringComparison.OrdinalIgnoreCase) && platform.GpusPerUnit % 16 == 0) return platform.GpusPerUnit / 16;
        return platform.GpusPerUnit % 4 == 0 ? platform.GpusPerUnit / 4 : 1;
    }
}
