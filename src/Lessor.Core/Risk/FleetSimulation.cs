namespace Lessor.Core.Risk;

/// <summary>What one site's failures did over a run: counts, and the spares it lacked.</summary>
public sealed class SiteFailureTally
{
    public long Failures { get; internal set; }
    public long SpareDemands { get; internal set; }
    public long Stockouts { get; internal set; }

    /// <summary>Failure-domain hours down, and domain hours in service (for availability).</summary>
    public double DownDomainHours { get; internal set; }
    public double DomainHours { get; internal set; }
}

/// <summary>
/// One site's failure domains over time, as an event simulation: interruptions arrive at rate (domains up x GPUs per
/// domain / GPU-hours between failures); each has a cause and a repair time; a cause that consumes a spare takes a free
/// hot spare (the domain is down for the swap, the spare is busy until the part is repaired) or, with none free, leaves
/// the domain down for the whole repair. Time is in hours from the run's start.
/// </summary>
internal sealed class FleetSimulation(FailureModel model, SparePolicy spares)
{
    private readonly double[] _causeCum = Cumulative(model.Causes);
    private readonly PriorityQueue<double, double> _domainsBack = new();
    private readonly PriorityQueue<double, double> _sparesBack = new();

    /// <summary>
    /// Runs [0, end) hours over a step function of domains in service (<paramref name="changeAt"/> ascending, the first
    /// 0, with <paramref name="domains"/> from each); every interruption is reported to <paramref name="onFailure"/>
    /// (hour, down hours, uniform for who it hit).
    /// </summary>
    public SiteFailureTally Run(ReadOnlySpan<double> changeAt, ReadOnlySpan<int> domains, double end, RiskRandom rng, Action<double, double, double>? onFailure)
    {
        var tally = new SiteFailureTally();
        _domainsBack.Clear();
        _sparesBack.Clear();
        var g = model.GpusPerFailure;
        var hoursPerDomainFailure = model.GpuHoursBetweenFailures / g; // domain-hours between failures of one domain
        var t = 0.0;
        var k = 0;
        var d = domains.Length > 0 ? domains[0] : 0;
        var down = 0;
        var sparesBusy = 0;
        var exposureLeft = -Math.Log(1 - rng.Next()) * hoursPerDomainFailure;
        while (t < end)
        {
            var nextChange = k + 1 < changeAt.Length ? changeAt[k + 1] : double.PositiveInfinity;
            var nextBack = _domainsBack.TryPeek(out _, out var b) ? b : double.PositiveInfinity;
            var nextSpare = _sparesBack.TryPeek(out _, out var sp) ? sp : double.PositiveInfinity;
            var up = Math.Max(0, d - down);
            var nextFailure = up > 0 ? t + exposureLeft / up : double.PositiveInfinity;
            var next = Math.Min(Math.Min(nextChange, nextBack), Math.Min(nextSpare, Math.Min(nextFailure, end)));
            tally.DomainHours += d * (next - t);
            tally.DownDomainHours += Math.Min(down, d) * (next - t);
            exposureLeft -= up * (next - t);
            t = next;
            if (t >= end) break;
            if (next == nextFailure)
            {
                tally.Failures++;
                var cause = model.Causes[Pick(rng.Next())];
                var repair = cause.RepairHours.Quantile(rng.Next());
                var who = rng.Next();
                double downFor;
                if (cause.UsesSpare)
                {
                    tally.SpareDemands++;
                    if (sparesBusy < (int)Math.Ceiling(spares.Fraction * d - 1e-9))
                    {
                        sparesBusy++;
                        _sparesBack.Enqueue(t + repair, t + repair);
                        downFor = model.SwapMinutes / 60;
                    }
                    else
                    {
                        tally.Stockouts++;
                        downFor = repair;
                    }
                }
                else downFor = repair;
                down++;
                _domainsBack.Enqueue(t + downFor, t + downFor);
                onFailure?.Invoke(t, downFor, who);
                exposureLeft = -Math.Log(1 - rng.Next()) * hoursPerDomainFailure;
            }
            else if (next == nextBack)
            {
                _domainsBack.Dequeue();
                down--;
            }
            else if (next == nextSpare)
            {
                _sparesBack.Dequeue();
                sparesBusy--;
            }
            else
            {
                k++;
                d = domains[k];
            }
        }
        return tally;
    }

    private int Pick(double u)
    {
        for (var i = 0; i < _causeCum.Length - 1; i++) if (u < _causeCum[i]) return i;
        return _causeCum.Length - 1;
    }

    private static double[] Cumulative(IReadOnlyList<FailureCause> causes)
    {
        var total = 0.0;
        foreach (var c in causes) total += c.Share;
        var cum = new double[causes.Count];
        var run = 0.0;
        for (var i = 0; i < cum.Length; i++) cum[i] = (run += causes[i].Share) / total;
        return cum;
    }
}
