using System.Text;
using CsCheck;
using Lessor.Core.Generation;
using Lessor.Storage.Scenarios;
using YamlDotNet.RepresentationModel;

namespace Lessor.Storage.Tests.Scenarios.Fuzz;

/// <summary>One input for the scenario reader: the bytes of a file, the family of generator that made it and how, for the report.</summary>
internal sealed record FuzzInput(string Family, string Detail, byte[] Bytes)
{
    public FuzzInput(string family, byte[] bytes) : this(family, "", bytes) { }

    public override string ToString() => $"{Family}{(Detail.Length > 0 ? " " + Detail : "")}, {Bytes.Length:N0} bytes";
}

/// <summary>
/// CsCheck generators of scenario files to throw at the reader: valid scenarios mutated as text, as bytes and as YAML
/// trees (so that many inputs get past the parser into the reader and the validator), files built to hit each limit,
/// and random text and bytes. Every choice comes from CsCheck, so a seed reproduces an input.
/// </summary>
internal static class FuzzInputs
{
    // Values that have broken or nearly broken readers: YAML's special scalars, numbers at and past every limit,
    // dates outside the supported range, bad escapes and tags, aliases, ids of the samples, odd Unicode.
    private static readonly string[] Values =
    [
        "", "~", "null", "true", "no", "0", "-1", "1.5", "2147483647", "2147483648", "-2147483649", "1e18", "1000000000000000001",
        "79228162514264337593543950335", "1e400", ".inf", "-.inf", ".nan", "0x1F", "0o17", "1_000", "4.10 EUR", "4.10 eur", "1.85 USDX",
        "2026-01-01", "2026-01-01T08:30Z", "2026-01-01T08:30:15Z", "2026-01-01T08:30+01:00", "2026-02-30", "1999-12-31", "2200-01-01",
        "2200-01-02", "9999-12-31", "0001-01-01", "2026-13-01", "\"\\0\"", "\"\\ud800\"", "\"\\x00\"", "\"\\U0001F680\"", "'it''s'",
        "\"unterminated", "'x", "!foo x", "!!binary aGk=", "!!int 5", "!!str 5", "! 5", "!<tag:x.com,2000:y> 1", "*nowhere", "&a x", "&a",
        "*a", "[]", "{}", "[a, b]", "{a: 1}", "{ : 1 }", "[[[[[[[[", "]]]", "- x", "? x", ": x", "|\n  block", ">-\n  folded", "#", "%YAML 1.1",
        "---", "...", "gb300", "gb300-nvl72", "h100-hgx", "NVL144", "iad-1", "us-east", "f1", "meta", "meta-2", "L1", "a b", "-a", "A.B_c",
        "air", "liquid", "accepted", "region", "backstop", "grow", "cancel", "USD", "EUR", "usd", "é", "漢字", "🚀", "\t", "\u2028",
        "\u00a0", "\ufeff", new string('x', 129), new string('9', 40), new string('a', 3000),
    ];

    // Whole lines to insert, some valid-looking and some not.
    private static readonly string[] Lines =
    [
        ":", "  :", "- :", "? [a]", "? a\n: b", "name: again", "id: dup", "x: &a [1, 2]", "y: *a", "- *a", "&a - x", "!foo", "%TAG ! tag:x,2000:",
        "--- # second", "...", "- { id: x, name: y }", "  - id: extra", "    units: 5", "power: [{ from: 2026-01-01, mw: 1 }]",
        "aliases: [gb300, GB300 NVL72]", "cooling: [air, liquid, water]", "\t- tab", "# comment", "- [", "  }", "\"key\": value",
        "'': empty", "? ", "<<: *a", "<<: { id: x }",
    ];

    // Structure tokens for random token streams.
    private static readonly string[] Tokens =
    [
        "name: ", "id: ", "platforms:", "sites:", "contracts:", "lines:", "- ", "  ", "\n", "{", "}", "[", "]", ", ", ": ", "&a ", "*a", "&b ",
        "*b", "!t ", "!!str ", "? ", "'", "\"", "|", ">", "#", "x", "1", "2026-01-01", "\\0", "\\u", "~", "---\n", "%YAML 1.2\n", "\t", "\r\n",
    ];

    // Valid small scenarios: the fixtures and two generated ones (1,000 GPUs, the least scale mode makes), as YAML and JSON.
    private static readonly Lazy<string[]> ValidSeeds = new(() =>
    {
        var seeds = new List<string>();
        foreach (var name in new[] { "minimal.yaml", "annotated.yaml", "annotated.json", "split.yaml" }) seeds.Add(File.ReadAllText(Fixtures.Valid(name)));
        foreach (var seed in new ulong[] { 1, 2 })
        {
            var generated = ScenarioGenerator.Generate(new GeneratorOptions { Gpus = 1_000, Seed = seed });
            seeds.Add(ScenarioFile.ToYaml(generated));
            seeds.Add(ScenarioFile.ToJson(generated));
        }
        return [.. seeds];
    });

    // The valid ones and every invalid fixture, each already one step from valid.
    private static readonly Lazy<string[]> SmallSeeds = new(() => [.. ValidSeeds.Value, .. Fixtures.Invalid().Select(File.ReadAllText)]);

    private static readonly Lazy<string> Sample = new(() => File.ReadAllText(Fixtures.Samples().First(f => f.EndsWith("neocloud-2026.yaml", StringComparison.Ordinal))));

    /// <summary>One edit: which kind, two positions as fractions of the text, and a choice among the values or lines.</summary>
    private readonly record struct Edit(int Kind, double A, double B, int Pick);

    private static readonly Gen<Edit> AnEdit =
        Gen.Select(Gen.Int[0, 10], Gen.Double[0, 1], Gen.Double[0, 1], Gen.Int[0, 1_000_000]).Select(t => new Edit(t.Item1, t.Item2, t.Item3, t.Item4));

    /// <summary>A small valid (or fixture) scenario with 1-4 text edits.</summary>
    private static readonly Gen<FuzzInput> MutatedSmall =
        Gen.Select(Gen.Int[0, 1_000], AnEdit.Array[1, 4]).Select(t =>
        {
            var seeds = SmallSeeds.Value;
            return Mutate("mutated small scenario", seeds[t.Item1 % seeds.Length], t.Item2);
        });

    /// <summary>The bundled 193 KB sample with 1-3 text edits: the whole reader and validator on a real estate and book.</summary>
    private static readonly Gen<FuzzInput> MutatedSample =
        AnEdit.Array[1, 3].Select(edits => Mutate("mutated sample", Sample.Value, edits));

    /// <summary>A small scenario edited as a YAML tree and written back, so the syntax stays valid and the edit reaches the reader.</summary>
    private static readonly Gen<FuzzInput> TreeEdited =
        Gen.Select(Gen.Int[0, 1_000], AnEdit.Array[1, 4]).Select(t =>
        {
            var seeds = ValidSeeds.Value;
            return new FuzzInput("tree-edited scenario", Encoding.UTF8.GetBytes(EditTree(seeds[t.Item1 % seeds.Length], t.Item2)));
        });

    // Free text of every awkward kind, for the fields the writer must quote right.
    private static readonly Gen<string> FreeText =
        Gen.Char["aZ09 -_.:#{}[],&*!|>'\"%@`?~\\/\t\n\r\u0007\u0085\u00a0\u2028\u2029\ufeffé漢"].Array[0, 24].Select(a => new string(a));

    /// <summary>A valid scenario whose names and free text are replaced: mostly valid, so the write-and-read-back check runs.</summary>
    private static readonly Gen<FuzzInput> TextEdited =
        Gen.Select(Gen.Int[0, 1_000], FreeText.Array[1, 6]).Select(t =>
        {
            var seeds = ValidSeeds.Value;
            return new FuzzInput("text-edited scenario", Encoding.UTF8.GetBytes(EditText(seeds[t.Item1 % seeds.Length], t.Item2)));
        });

    /// <summary>Files built to hit each limit, at random sizes on both sides of it.</summary>
    private static readonly Gen<FuzzInput> Attack = Gen.Frequency(
        (2, Gen.Select(Gen.Int[1, 200], Gen.Int[0, 2]).Select(t => Nesting(t.Item1, t.Item2))),
        (1, Gen.Int[60_000, 120_000].Select(depth => Nesting(depth, 0))),
        (2, Gen.Select(Gen.Int[1, 40], Gen.Int[2, 12]).Select(t => AliasBomb(t.Item1, t.Item2))),
        (1, Gen.Select(Gen.Int[1, 1 << 20], Gen.Int[1, 200]).Select(t => RepeatedAnchor(t.Item1, t.Item2))),
        (1, Gen.Select(Gen.Int[1, 300_000], Gen.Int[0, 3]).Select(t => Huge(t.Item1, t.Item2))),
        (1, Gen.Int[1, 5_000].Select(ManyKeys)));

    private static readonly Gen<FuzzInput> RandomText =
        Gen.Char["aZ09 -_.:#{}[],&*!|>'\"%@`?~\\/\t\n\r\u0000\u0007\u0085\u00a0\u2028\ufeffé漢\ud83d\ude80"].Array[0, 600]
            .Select(chars => new FuzzInput("random text", Encoding.UTF8.GetBytes(chars)));

    private static readonly Gen<FuzzInput> RandomTokens =
        Gen.Int[0, Tokens.Length - 1].Array[0, 300].Select(picks =>
        {
            var text = new StringBuilder();
            foreach (var p in picks) text.Append(Tokens[p]);
            return new FuzzInput("random tokens", Encoding.UTF8.GetBytes(text.ToString()));
        });

    private static readonly Gen<FuzzInput> RandomBytes = Gen.Byte.Array[0, 600].Select(b => new FuzzInput("random bytes", b));

    /// <summary>Everything, weighted towards inputs that reach deep into the reader.</summary>
    public static readonly Gen<FuzzInput> Any = Gen.Frequency(
        (30, MutatedSmall), (3, MutatedSample), (16, TreeEdited), (10, TextEdited), (6, Attack), (12, RandomText), (12, RandomTokens), (6, RandomBytes));

    private static FuzzInput Mutate(string kind, string seed, Edit[] edits)
    {
        var lines = seed.Split('\n').ToList();
        var flips = new List<Edit>();
        foreach (var e in edits)
        {
            if (lines.Count == 0) lines.Add("");
            var i = At(e.A, lines.Count);
            var j = At(e.B, lines.Count);
            var line = lines[i];
            switch (e.Kind)
            {
                case 0: // a field's value replaced
                    var colon = line.IndexOf(": ", StringComparison.Ordinal);
                    lines[i] = colon < 0 ? line + " " + Values[e.Pick % Values.Length] : line[..(colon + 2)] + Values[e.Pick % Values.Length];
                    break;
                case 1:
                    lines.RemoveAt(i);
                    break;
                case 2:
                    lines.Insert(i, line);
                    break;
                case 3:
                    (lines[i], lines[j]) = (lines[j], lines[i]);
                    break;
                case 4: // a line inserted at the indentation of its neighbour
                    lines.Insert(i, new string(' ', line.Length - line.TrimStart().Length) + Lines[e.Pick % Lines.Length]);
                    break;
                case 5: // cut off
                    lines.RemoveRange(i, lines.Count - i);
                    if (e.Pick % 2 == 0 && line.Length > 0) lines.Add(line[..At(e.B, line.Length)]);
                    break;
                case 6:
                    lines[i] = e.Pick % 2 == 0 ? "  " + line : line.TrimStart(' ');
                    break;
                case 7: // text inserted inside a line
                    var at = At(e.B, line.Length + 1);
                    lines[i] = line[..at] + Values[e.Pick % Values.Length] + line[at..];
                    break;
                case 8:
                    flips.Add(e);
                    break;
                case 9: // a value anchored, and used again further down
                    var c1 = line.IndexOf(": ", StringComparison.Ordinal);
                    var target = lines[j];
                    var c2 = target.IndexOf(": ", StringComparison.Ordinal);
                    if (c1 >= 0) lines[i] = line[..(c1 + 2)] + "&f " + line[(c1 + 2)..];
                    if (c2 >= 0 && j > i) lines[j] = target[..(c2 + 2)] + "*f";
                    break;
                default: // a list item repeated through an alias
                    var dash = line.IndexOf("- ", StringComparison.Ordinal);
                    if (dash >= 0)
                    {
                        lines[i] = line[..(dash + 2)] + "&item " + line[(dash + 2)..];
                        lines.Insert(Math.Min(lines.Count, i + 1 + e.Pick % 8), line[..(dash + 2)] + "*item");
                    }
                    break;
            }
        }
        var bytes = Encoding.UTF8.GetBytes(string.Join('\n', lines));
        foreach (var f in flips)
        {
            if (bytes.Length > 0) bytes[At(f.A, bytes.Length)] = (byte)(f.Pick & 0xFF);
        }
        return new FuzzInput(kind, bytes);
    }

    /// <summary>An index in [0, count) from a fraction in [0, 1].</summary>
    private static int At(double fraction, int count) => Math.Min(count - 1, (int)(fraction * count));

    // Keys the reader knows, so that tree edits add fields it will read rather than only unknown ones.
    private static readonly string[] Keys =
    [
        .. ScenarioReader.TopKeys, .. ScenarioReader.PlatformKeys, .. ScenarioReader.SiteKeys, .. ScenarioReader.DeliveryKeys,
        .. ScenarioReader.ContractKeys, .. ScenarioReader.LineKeys, .. ScenarioReader.AmendmentKeys, .. ScenarioReader.OptionKeys,
    ];

    /// <summary>
    /// Whether <paramref name="target"/> is <paramref name="from"/> or lies under it, by reference. (YamlNode's AllNodes
    /// and Equals compare by content, and a check built on them once let a cycle through, which overflowed the stack
    /// when the tree was saved.)
    /// </summary>
    private static bool Reaches(YamlNode from, YamlNode target)
    {
        var seen = new HashSet<YamlNode>(ReferenceEqualityComparer.Instance);
        var open = new Stack<YamlNode>([from]);
        while (open.TryPop(out var node))
        {
            if (ReferenceEquals(node, target)) return true;
            if (!seen.Add(node)) continue;
            if (node is YamlMappingNode m) foreach (var (k, v) in m.Children) { open.Push(k); open.Push(v); }
            else if (node is YamlSequenceNode q) foreach (var c in q.Children) open.Push(c);
        }
        return false;
    }

    /// <summary>Every node once, by reference, in a fixed order.</summary>
    private static List<YamlNode> Nodes(YamlNode root)
    {
        var seen = new HashSet<YamlNode>(ReferenceEqualityComparer.Instance);
        var list = new List<YamlNode>();
        var open = new Stack<YamlNode>([root]);
        while (open.TryPop(out var node))
        {
            if (!seen.Add(node)) continue;
            list.Add(node);
            if (node is YamlMappingNode m) foreach (var (k, v) in m.Children) { open.Push(k); open.Push(v); }
            else if (node is YamlSequenceNode q) foreach (var c in q.Children) open.Push(c);
        }
        return list;
    }

    private static string EditTree(string seed, Edit[] edits)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(seed));
        var root = stream.Documents[0].RootNode;
        foreach (var e in edits)
        {
            var nodes = Nodes(root);
            var node = nodes[At(e.A, nodes.Count)];
            var value = Values[e.Pick % Values.Length];
            switch (node)
            {
                case YamlScalarNode scalar:
                    scalar.Value = value;
                    break;
                case YamlMappingNode map when map.Children.Count > 0 && e.Kind < 5:
                    map.Children.Remove(map.Children.ElementAt(At(e.B, map.Children.Count)).Key);
                    break;
                case YamlMappingNode map:
                    // Another node placed here too (written as an alias), unless it holds this mapping: that would be a cycle.
                    var other = nodes[At(e.B, nodes.Count)];
                    map.Children[new YamlScalarNode(Keys[e.Pick % Keys.Length])] =
                        e.Kind % 2 == 0 || Reaches(other, map) ? new YamlScalarNode(value) : other;
                    break;
                case YamlSequenceNode seq when seq.Children.Count > 0 && e.Kind < 4:
                    var k = At(e.B, seq.Children.Count);
                    seq.Children.Insert(k, seq.Children[k]);
                    break;
                case YamlSequenceNode seq when seq.Children.Count > 0 && e.Kind < 8:
                    seq.Children.RemoveAt(At(e.B, seq.Children.Count));
                    break;
                case YamlSequenceNode seq:
                    seq.Children.Add(new YamlScalarNode(value));
                    break;
                default:
                    break;
            }
        }
        var text = new StringWriter();
        // A node placed twice is written once with an anchor and then as an alias, so repeats stay small.
        stream.Save(text, assignAnchors: true);
        return text.ToString();
    }

    private static readonly HashSet<string> TextKeys = new(StringComparer.Ordinal) { "name", "description", "title", "note", "reason", "vendor" };

    private static string EditText(string seed, string[] texts)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(seed));
        var n = 0;
        foreach (var node in Nodes(stream.Documents[0].RootNode))
        {
            if (node is not YamlMappingNode map) continue;
            foreach (var (key, value) in map.Children)
            {
                if (key is YamlScalarNode { Value: { } k } && TextKeys.Contains(k) && value is YamlScalarNode text)
                {
                    text.Value = texts[n++ % texts.Length];
                    text.Style = YamlDotNet.Core.ScalarStyle.Any;
                }
            }
        }
        var output = new StringWriter();
        stream.Save(output, assignAnchors: false);
        return output.ToString();
    }

    private static FuzzInput Nesting(int depth, int style)
    {
        var text = style switch
        {
            0 => "name: x\ndescription: " + new string('[', depth) + new string(']', depth) + "\n",
            1 => "name: x\ndescription: " + string.Concat(Enumerable.Repeat("{a: ", depth)) + "1" + new string('}', depth) + "\n",
            _ => "name: x\ndescription:\n" + string.Concat(Enumerable.Range(0, depth).Select(i => new string(' ', 2 * i + 2) + "-\n")),
        };
        return new FuzzInput("nesting", $"{depth} deep (style {style})", Encoding.UTF8.GetBytes(text));
    }

    private static FuzzInput AliasBomb(int levels, int width)
    {
        var text = new StringBuilder("name: x\nl0: &l0 [x, x, x, x, x, x, x, x]\n");
        for (var i = 1; i < levels; i++)
        {
            text.Append('l').Append(i).Append(": &l").Append(i).Append(" [");
            for (var w = 0; w < width; w++) text.Append(w == 0 ? "" : ", ").Append("*l").Append(i - 1);
            text.Append("]\n");
        }
        text.Append("customers:\n  - { id: c, name: *l").Append(levels - 1).Append(" }\n");
        return new FuzzInput("alias bomb", $"{levels} levels of {width}", Encoding.UTF8.GetBytes(text.ToString()));
    }

    private static FuzzInput RepeatedAnchor(int size, int references)
    {
        var text = new StringBuilder("name: x\ndescription: &big ").Append('a', size).Append("\ncustomers:\n");
        for (var i = 0; i < references; i++) text.Append("  - { id: c").Append(i).Append(", name: *big }\n");
        return new FuzzInput("repeated anchor", $"{references} references to {size:N0} characters", Encoding.UTF8.GetBytes(text.ToString()));
    }

    private static FuzzInput Huge(int size, int where)
    {
        var big = new string('k', size);
        var text = where switch
        {
            0 => $"name: x\ncustomers:\n  - {{ id: {big}, name: n }}\n",
            1 => $"name: x\n{big}: 1\n",
            2 => $"name: x\ncustomers:\n  - {{ id: c, name: n, {big}: 1 }}\n",
            _ => $"name: \"{big}\"\n",
        };
        return new FuzzInput("huge scalar", $"{size:N0} characters (at {where})", Encoding.UTF8.GetBytes(text));
    }

    private static FuzzInput ManyKeys(int count)
    {
        var text = new StringBuilder("name: x\n");
        for (var i = 0; i < count; i++) text.Append('k').Append(i % (count / 2 + 1)).Append(": ").Append(i).Append('\n');
        return new FuzzInput("many keys", $"{count} at the top level", Encoding.UTF8.GetBytes(text.ToString()));
    }
}
