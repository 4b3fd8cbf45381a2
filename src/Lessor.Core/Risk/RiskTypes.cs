using Lessor.Core.Model;

namespace Lessor.Core.Risk;

/// <summary>What a risk run covers: the window [From, Until), the trials (a shard is FirstTrial..+Count of Trials), the seed, the threads.</summary>
public sealed record RiskOptions
{
    public required DateTime From { get; init; }
    public required DateTime Until { get; init; }
    public required int Trials { get; init; }
    public ulong Seed { get; init; }
    public int FirstTrial { get; init; }

    /// <summary>Trials this run computes; null = from FirstTrial to Trials.</summary>
    public int? Count { get; init; }

    public int Threads { get; init; } = 1;
    public UncertaintyPolicy? Policy { get; init; }
}

/// <summary>A contract's SLA outcome in one trial: the months below target and the credits they earned.</summary>
public readonly record struct ContractCredit(int Contract, int MonthsBelow, decimal Credit);

/// <summary>One trial's figures per quarter, plus the lines that started short and the contracts that earned credits.</summary>
public sealed record RiskTrial
{
    public required int Trial { get; init; }
    public required decimal[] Revenue { get; init; }
    public required decimal[] RpoConverted { get; init; }
    public required decimal[] Credits { get; init; }
    public required decimal[] MwEnergized { get; init; }
    public required decimal[] MwInService { get; init; }
    public required int[] ShortStarts { get; init; }

    /// <summary>Fleet availability per quarter: 1 - GPU-hours down / GPU-hours in service (1 where nothing is in service).</summary>
    public required decimal[] Availability { get; init; }

    /// <summary>Interruptions that needed a spare, and those that found none (over the window).</summary>
    public long SpareDemands { get; init; }
    public long Stockouts { get; init; }
    public required int[] ShortLines { get; init; }
    public required ContractCredit[] ContractCredits { get; init; }
}

/// <summary>
/// The trials of a run (or a shard), in trial order, and what names their columns. Shards of one run merge exactly: the
/// merge is the union of their trials.
/// </summary>
public sealed record RiskRun
{
    public required ulong Seed { get; init; }
    public required DateTime From { get; init; }
    public required DateTime Until { get; init; }
    public required int Trials { get; init; }
    public required string Policy { get; init; }
    public required Currency Currency { get; init; }
    public required IReadOnlyList<string> Quarters { get; init; }
    public required IReadOnlyList<string> Lines { get; init; }
    public required IReadOnlyList<string> Contracts { get; init; }

    /// <summary>Covered months of each contract on plan: the denominator of SLA attainment.</summary>
    public required IReadOnlyList<int> ContractMonths { get; init; }

    public required IReadOnlyList<RiskTrial> Rows { get; init; }

    /// <summary>Shards of one run (same seed, window, trials, policy and book) as one run; refuses overlaps and mismatches.</summary>
    public static RiskRun Merge(IReadOnlyList<RiskRun> shards)
    {
        ArgumentNullException.ThrowIfNull(shards);
        if (shards.Count == 0) throw new ArgumentException("Nothing to merge.", nameof(shards));
        var first = shards[0];
        var rows = new List<RiskTrial>();
        foreach (var s in shards)
        {
            if (s.Seed != first.Seed || s.From != first.From || s.Until != first.Until || s.Trials != first.Trials || s.Policy != first.Policy
                || !s.Quarters.SequenceEqual(first.Quarters) || !s.Lines.SequenceEqual(first.Lines) || !s.Contracts.SequenceEqual(first.Contracts))
                throw new ArgumentException("The shards are not of one run: seed, window, trials, policy and book must match.", nameof(shards));
            rows.AddRange(s.Rows);
        }
        rows.Sort((a, b) => a.Trial.CompareTo(b.Trial));
        for (var i = 1; i < rows.Count; i++)
            if (rows[i].Trial == rows[i - 1].Trial) throw new ArgumentException($"Trial {rows[i].Trial} is in two shards.", nameof(shards));
        return first with { Rows = rows };
    }
}

/// <summary>One bar of the tornado: next year's revenue with this delivery or site late at its P90 and early at its P10, the rest on plan.</summary>
public sealed record TornadoBar(string Kind, string Id, Money AtP10, Money AtP90, Money Swing);
