using System.Globalization;

namespace Lessor.Core.Fleet;

/// <summary>
/// Parses the output of <c>nvidia-smi --query-gpu=index,temperature.gpu,power.draw,utilization.gpu,ecc.errors.uncorrected.volatile.total
/// --format=csv,noheader,nounits</c>: one line per GPU, five comma-separated fields. <c>[N/A]</c> and
/// <c>[Not Supported]</c> (a GPU without ECC, or a board that does not report its power) read as 0; anything else that is
/// not a number is refused with its line and field. No I/O: the agent runs the command and hands over its text.
/// </summary>
public static class NvidiaSmiCsv
{
    /// <summary>The arguments the agent passes to nvidia-smi.</summary>
    public const string QueryArguments =
        "--query-gpu=index,temperature.gpu,power.draw,utilization.gpu,ecc.errors.uncorrected.volatile.total --format=csv,noheader,nounits";

    private static readonly string[] Fields = ["index", "temperature.gpu", "power.draw", "utilization.gpu", "ecc.errors.uncorrected.volatile.total"];

    /// <summary>The readings of every GPU, or the first error (<c>line 2, power.draw: 'abc' is not a number</c>).</summary>
    public static bool TryParse(string text, out IReadOnlyList<GpuReading> readings, out string? error)
    {
        ArgumentNullException.ThrowIfNull(text);
        var result = new List<GpuReading>();
        readings = result;
        var seen = new HashSet<int>();
        var lines = text.Replace("\r", "", StringComparison.Ordinal).Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].Trim();
            if (line.Length == 0) continue;
            var parts = line.Split(',');
            if (parts.Length != Fields.Length)
            {
                error = $"line {i + 1}: has {parts.Length} fields; expected {Fields.Length} ({string.Join(", ", Fields)})";
                return false;
            }
            var values = new double[Fields.Length];
            for (var f = 0; f < Fields.Length; f++)
            {
                var raw = parts[f].Trim();
                if (f > 1 && raw is "[N/A]" or "N/A" or "[Not Supported]" or "Not Supported")
                {
                    values[f] = 0;
                    continue;
                }
                if (!double.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture, out values[f]) || !double.IsFinite(values[f]))
                {
                    error = $"line {i + 1}, {Fields[f]}: '{raw}' is not a number";
                    return false;
                }
            }
            var index = values[0];
            if (index != Math.Floor(index) || index is < 0 or > 63)
            {
                error = $"line {i + 1}, index: '{parts[0].Trim()}' is not a GPU index (0 to 63)";
                return false;
            }
            if (!seen.Add((int)index))
            {
                error = $"line {i + 1}, index: GPU {index} appears twice";
                return false;
            }
            if (values[1] is < -50 or > 200)
            {
                error = $"line {i + 1}, temperature.gpu: {values[1]} is outside -50 to 200 degrees C";
                return false;
            }
            if (values[2] is < 0 or > 10_000)
            {
                error = $"line {i + 1}, power.draw: {values[2]} is outside 0 to 10000 W";
                return false;
            }
            if (values[3] is < 0 or > 100)
            {
                error = $"line {i + 1}, utilization.gpu: {values[3]} is outside 0 to 100 %";
                return false;
            }
            if (values[4] < 0 || values[4] != Math.Floor(values[4]))
            {
                error = $"line {i + 1}, ecc.errors.uncorrected.volatile.total: {values[4]} is not a whole count";
                return false;
            }
            result.Add(new GpuReading((int)index, values[1], values[2], values[3] / 100, 0, (long)values[4]));
        }
        if (result.Count == 0)
        {
            error = "no GPU lines: nvidia-smi printed nothing";
            return false;
        }
        error = null;
        return true;
    }
}
