using System.Buffers;
using System.Globalization;
using System.Text.Json;
using Lessor.Core.Fleet;

namespace Lessor.Server.Fleet;

/// <summary>
/// The wire form of a <see cref="HealthReport"/> (docs/fleet-events.md), shared by the agent, the NATS consumer and the
/// HTTP batch endpoint. Parsing is strict: an unknown field, a missing one or a value out of range is refused with the
/// field's path and the reason, never thrown.
/// </summary>
public static class HealthReportJson
{
    // Field names as UTF-8: checking a name against them allocates nothing (the consumer parses 10,000s of reports a second).
    private static readonly byte[][] ReportKeys = [.. new[] { "node", "seq", "at", "gpus", "events" }.Select(System.Text.Encoding.UTF8.GetBytes)];
    private static readonly byte[][] EventKeys = [.. new[] { "kind", "gpu", "code", "level", "detail" }.Select(System.Text.Encoding.UTF8.GetBytes)];

    /// <summary>The most GPUs one node reports (an NVL72 compute tray has 4, an HGX node 8).</summary>
    public const int MaxGpus = 64;

    /// <summary>The longest serial accepted.</summary>
    public const int MaxSerialLength = 128;

    /// <summary>Writes one report as compact UTF-8 JSON.</summary>
    public static byte[] Write(HealthReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var buffer = new ArrayBufferWriter<byte>(256 + 160 * report.Gpus.Count);
        using (var w = new Utf8JsonWriter(buffer))
            Write(w, report);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Writes one report as a JSON object to <paramref name="w"/>.</summary>
    public static void Write(Utf8JsonWriter w, HealthReport report)
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(report);
        w.WriteStartObject();
        w.WriteString("node", report.Node);
        w.WriteNumber("seq", report.Seq);
        w.WriteString("at", report.At.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", CultureInfo.InvariantCulture));
        w.WriteStartArray("gpus");
        foreach (var g in report.Gpus)
        {
            w.WriteStartObject();
            w.WriteNumber("gpu", g.Gpu);
            w.WriteNumber("temperature_c", g.TemperatureC);
            w.WriteNumber("power_w", g.PowerW);
            w.WriteNumber("utilization", g.Utilization);
            w.WriteNumber("nvlink_errors", g.NvlinkErrors);
            w.WriteNumber("ecc_double_bit", g.EccDoubleBit);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        if (report.Events.Count > 0)
        {
            w.WriteStartArray("events");
            foreach (var e in report.Events)
            {
                w.WriteStartObject();
                w.WriteString("kind", e.Kind == HealthEventKind.Xid ? "xid" : "dcgm");
                if (e.Gpu is { } gpu) w.WriteNumber("gpu", gpu);
                if (e.Code is { } code) w.WriteNumber("code", code);
                if (e.Level is { } level) w.WriteString("level", level.ToString().ToLowerInvariant());
                if (e.Detail is { } detail) w.WriteString("detail", detail);
                w.WriteEndObject();
            }
            w.WriteEndArray();
        }
        w.WriteEndObject();
    }

    /// <summary>Parses one report from UTF-8 JSON; on refusal, <paramref name="field"/> and <paramref name="reason"/> say why.</summary>
    public static bool TryParse(ReadOnlySpan<byte> utf8, out HealthReport? report, out string? field, out string? reason)
    {
        report = null;
        JsonDocument doc;
        try
        {
            var reader = new Utf8JsonReader(utf8, new JsonReaderOptions { MaxDepth = 8 });
            if (!JsonDocument.TryParseValue(ref reader, out var parsed) || parsed is null)
                return Fail("(body)", "is empty", out field, out reason);
            doc = parsed;
        }
        catch (JsonException ex)
        {
            return Fail("(body)", $"is not JSON: {ex.Message}", out field, out reason);
        }
        using (doc)
            return TryRead(doc.RootElement, "", out report, out field, out reason);
    }

    /// <summary>Reads one report from a parsed element (an item of a batch, say); <paramref name="path"/> prefixes field names.</summary>
    public static bool TryRead(JsonElement e, string path, out HealthReport? report, out string? field, out string? reason)
    {
        report = null;
        var at = path.Length == 0 ? "" : path + ".";
        if (e.ValueKind != JsonValueKind.Object) return Fail(path.Length == 0 ? "(body)" : path, "must be an object", out field, out reason);
        if (Unknown(e, ReportKeys) is { } extra) return Fail(at + extra, "is not a field of a health report", out field, out reason);

        if (!e.TryGetProperty("node"u8, out var nodeEl) || nodeEl.ValueKind != JsonValueKind.String || nodeEl.GetString() is not { Length: > 0 } node)
            return Fail(at + "node", "is required: the node's serial, a non-empty string", out field, out reason);
        if (node.Length > MaxSerialLength) return Fail(at + "node", $"is longer than {MaxSerialLength} characters", out field, out reason);
        if (!e.TryGetProperty("seq"u8, out var seqEl) || seqEl.ValueKind != JsonValueKind.Number || !seqEl.TryGetInt64(out var seq) || seq < 1)
            return Fail(at + "seq", "is required: a whole number from 1, increasing per node", out field, out reason);
        if (!e.TryGetProperty("at"u8, out var atEl) || atEl.ValueKind != JsonValueKind.String || atEl.GetString() is not { } atText
            || !DateTime.TryParse(atText, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var instant)
            || !HasZone(atText))
            return Fail(at + "at", "is required: an ISO-8601 instant with its offset, such as 2026-12-01T10:00:00Z", out field, out reason);
        instant = DateTime.SpecifyKind(instant, DateTimeKind.Utc);

        if (!e.TryGetProperty("gpus"u8, out var gpusEl) || gpusEl.ValueKind != JsonValueKind.Array)
            return Fail(at + "gpus", "is required: an array of GPU readings (may be empty)", out field, out reason);
        if (gpusEl.GetArrayLength() > MaxGpus) return Fail(at + "gpus", $"has more than {MaxGpus} GPUs", out field, out reason);
        var gpus = new GpuReading[gpusEl.GetArrayLength()];
        var seen = 0UL;
        var i = 0;
        foreach (var g in gpusEl.EnumerateArray())
        {
            // The path is built only for a refusal: a report's GPUs are read for every report. One pass over the
            // reading's fields (an unknown one refused in document order), then each checked as before.
            var gp = new GpuPath(at, i);
            if (g.ValueKind != JsonValueKind.Object) return Fail(gp.ToString(), "must be an object", out field, out reason);
            JsonElement gpuV = default, tempV = default, powerV = default, utilV = default, nvlinkV = default, eccV = default;
            foreach (var p in g.EnumerateObject())
            {
                if (p.NameEquals("gpu"u8)) gpuV = p.Value;
                else if (p.NameEquals("temperature_c"u8)) tempV = p.Value;
                else if (p.NameEquals("power_w"u8)) powerV = p.Value;
                else if (p.NameEquals("utilization"u8)) utilV = p.Value;
                else if (p.NameEquals("nvlink_errors"u8)) nvlinkV = p.Value;
                else if (p.NameEquals("ecc_double_bit"u8)) eccV = p.Value;
                else return Fail($"{gp}.{p.Name}", "is not a field of a GPU reading", out field, out reason);
            }
            if (!Int(gpuV, 0, MaxGpus - 1, out var index)) return Fail($"{gp}.gpu", $"is required: the GPU's index, 0 to {MaxGpus - 1}", out field, out reason);
            if ((seen & (1UL << index)) != 0) return Fail($"{gp}.gpu", $"repeats GPU {index}", out field, out reason);
            seen |= 1UL << index;
            if (!Num(tempV, -50, 200, out var temp)) return Fail($"{gp}.temperature_c", "is required: degrees Celsius, -50 to 200", out field, out reason);
            if (!Num(powerV, 0, 10_000, out var power)) return Fail($"{gp}.power_w", "is required: watts, 0 to 10000", out field, out reason);
            if (!Num(utilV, 0, 1, out var util)) return Fail($"{gp}.utilization", "is required: a fraction from 0 to 1", out field, out reason);
            if (!Long(nvlinkV, out var nvlink)) return Fail($"{gp}.nvlink_errors", "is required: a non-negative whole count", out field, out reason);
            if (!Long(eccV, out var ecc)) return Fail($"{gp}.ecc_double_bit", "is required: a non-negative whole count", out field, out reason);
            gpus[i++] = new GpuReading(index, temp, power, util, nvlink, ecc);
        }

        var events = Array.Empty<HealthEvent>();
        if (e.TryGetProperty("events"u8, out var evEl))
        {
            if (evEl.ValueKind != JsonValueKind.Array) return Fail(at + "events", "must be an array of events", out field, out reason);
            events = new HealthEvent[evEl.GetArrayLength()];
            var j = 0;
            foreach (var ev in evEl.EnumerateArray())
            {
                var ep = $"{at}events[{j}]";
                if (ev.ValueKind != JsonValueKind.Object) return Fail(ep, "must be an object", out field, out reason);
                if (Unknown(ev, EventKeys) is { } ex) return Fail($"{ep}.{ex}", "is not a field of an event", out field, out reason);
                if (!ev.TryGetProperty("kind", out var kindEl) || kindEl.ValueKind != JsonValueKind.String)
                    return Fail($"{ep}.kind", "is required: xid or dcgm", out field, out reason);
                int? gpu = null;
                if (ev.TryGetProperty("gpu", out var gEl) && gEl.ValueKind != JsonValueKind.Null)
                {
                    if (!Int(ev, "gpu"u8, 0, MaxGpus - 1, out var gi)) return Fail($"{ep}.gpu", $"must be the GPU's index, 0 to {MaxGpus - 1}", out field, out reason);
                    gpu = gi;
                }
                string? detail = null;
                if (ev.TryGetProperty("detail", out var dEl) && dEl.ValueKind != JsonValueKind.Null)
                {
                    if (dEl.ValueKind != JsonValueKind.String || dEl.GetString()!.Length > 1024) return Fail($"{ep}.detail", "must be a string of at most 1024 characters", out field, out reason);
                    detail = dEl.GetString();
                }
                switch (kindEl.GetString())
                {
                    case "xid":
                        if (gpu is null) return Fail($"{ep}.gpu", "is required for an Xid: the GPU it happened on", out field, out reason);
                        if (!Int(ev, "code"u8, 1, 999, out var code)) return Fail($"{ep}.code", "is required for an Xid: the Xid number, 1 to 999", out field, out reason);
                        if (ev.TryGetProperty("level", out _)) return Fail($"{ep}.level", "is for dcgm events only", out field, out reason);
                        events[j++] = new HealthEvent(HealthEventKind.Xid, gpu, code, null, detail);
                        break;
                    case "dcgm":
                        if (ev.TryGetProperty("code", out _)) return Fail($"{ep}.code", "is for xid events only", out field, out reason);
                        DcgmLevel? level = ev.TryGetProperty("level", out var lEl) && lEl.ValueKind == JsonValueKind.String
                            ? lEl.GetString() switch { "pass" => DcgmLevel.Pass, "warn" => DcgmLevel.Warn, "fail" => DcgmLevel.Fail, _ => null }
                            : null;
                        if (level is null) return Fail($"{ep}.level", "is required for a dcgm event: pass, warn or fail", out field, out reason);
                        events[j++] = new HealthEvent(HealthEventKind.Dcgm, gpu, null, level, detail);
                        break;
                    default:
                        return Fail($"{ep}.kind", $"'{kindEl.GetString()}' is not a kind of event: xid or dcgm", out field, out reason);
                }
            }
        }

        report = new HealthReport(node, seq, instant, gpus, events);
        field = null;
        reason = null;
        return true;
    }

    private static bool HasZone(string s) => s.EndsWith('Z') || s.EndsWith('z') || (s.Length > 6 && s[^3] == ':' && (s[^6] == '+' || s[^6] == '-'));

    private static string? Unknown(JsonElement e, byte[][] keys)
    {
        foreach (var p in e.EnumerateObject())
        {
            var known = false;
            foreach (var k in keys)
            {
                if (!p.NameEquals(k)) continue;
                known = true;
                break;
            }
            if (!known) return p.Name;
        }
        return null;
    }

    /// <summary>The path of a report's GPU reading, written out only when a refusal names it.</summary>
    private readonly record struct GpuPath(string Prefix, int Index)
    {
        public override string ToString() => $"{Prefix}gpus[{Index}]";
    }

    private static bool Int(JsonElement e, ReadOnlySpan<byte> name, int min, int max, out int value)
    {
        value = 0;
        return e.TryGetProperty(name, out var v) && Int(v, min, max, out value);
    }

    // A value already found (default when absent: not a number, so refused as required).
    private static bool Int(JsonElement v, int min, int max, out int value)
    {
        value = 0;
        return v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out value) && value >= min && value <= max;
    }

    private static bool Long(JsonElement v, out long value)
    {
        value = 0;
        return v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out value) && value >= 0;
    }

    private static bool Num(JsonElement v, double min, double max, out double value)
    {
        value = 0;
        return v.ValueKind == JsonValueKind.Number && v.TryGetDouble(out value) && double.IsFinite(value) && value >= min && value <= max;
    }

    private static bool Fail(string f, string r, out string? field, out string? reason)
    {
        field = f;
        reason = r;
        return false;
    }
}
