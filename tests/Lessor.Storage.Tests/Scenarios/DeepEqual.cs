using System.Collections;
using System.Reflection;

namespace Lessor.Storage.Tests.Scenarios;

/// <summary>
/// Structural equality for model records: compares every settable property recursively and lists item by
/// item (records with list members are not value-equal by default), and DateTimes by ticks and kind.
/// </summary>
internal static class DeepEqual
{
    public static void Assert(object? expected, object? actual) => Compare(expected, actual, "scenario");

    private static void Compare(object? expected, object? actual, string path)
    {
        if (expected is null || actual is null)
        {
            if (expected is not null || actual is not null) Fail(path, expected, actual);
            return;
        }
        var type = expected.GetType();
        // Lists compare by items whatever their concrete type; everything else must match in type.
        if (expected is not IEnumerable && type != actual.GetType()) Fail(path, expected, actual);
        if (expected is DateTime de)
        {
            var da = (DateTime)actual;
            if (de.Ticks != da.Ticks || de.Kind != da.Kind) Fail(path, $"{de:O} ({de.Kind})", $"{da:O} ({da.Kind})");
            return;
        }
        if (expected is decimal me)
        {
            // Scale matters too: 1.80 must come back as 1.80 for a file to round-trip byte for byte.
            if (me != (decimal)actual || me.Scale != ((decimal)actual).Scale) Fail(path, expected, actual);
            return;
        }
        if (expected is string || type.IsPrimitive || type.IsEnum || type.IsValueType)
        {
            if (!expected.Equals(actual)) Fail(path, expected, actual);
            return;
        }
        if (expected is IEnumerable ee)
        {
            var le = ee.Cast<object?>().ToList();
            var la = ((IEnumerable)actual).Cast<object?>().ToList();
            if (le.Count != la.Count) Fail(path + ".Count", le.Count, la.Count);
            for (var i = 0; i < le.Count; i++) Compare(le[i], la[i], $"{path}[{i}]");
            return;
        }
        foreach (var p in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (!p.CanWrite || p.GetIndexParameters().Length > 0) continue;
            Compare(p.GetValue(expected), p.GetValue(actual), $"{path}.{p.Name}");
        }
    }

    private static void Fail(string path, object? expected, object? actual) =>
        throw new Xunit.Sdk.XunitException($"{path}: expected {expected ?? "null"}, got {actual ?? "null"}");
}
