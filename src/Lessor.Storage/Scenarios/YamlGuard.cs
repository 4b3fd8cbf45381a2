using System.Globalization;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Lessor.Storage.Scenarios;

/// <summary>
/// Stands between YamlDotNet's parser and the tree it builds, and checks each event as it passes, before the
/// tree exists: nesting depth (YamlDotNet builds recursively, so a deep file would overflow the stack), the size
/// with aliases expanded, duplicate and empty keys (which YamlDotNet reports without a path, or not at all), and
/// tags. It knows the path of every node, which the tree does not, so what it refuses is named by path and line.
/// Work and memory are linear in the events: paths are built only for errors.
/// </summary>
internal sealed class YamlGuard(IParser inner, YamlInput input) : IParser
{
    // YAML 1.2's core schema. Any other tag would ask for a type the reader does not have, and ignoring it would
    // read the value as something its author did not mean.
    private static readonly HashSet<string> CoreTags = new(StringComparer.Ordinal)
    {
        "tag:yaml.org,2002:str", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float", "tag:yaml.org,2002:bool",
        "tag:yaml.org,2002:null", "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq", "tag:yaml.org,2002:timestamp",
    };

    private readonly List<Frame> _open = [];
    private readonly Dictionary<string, long> _anchorSizes = new(StringComparer.Ordinal);
    private long _expanded;

    /// <summary>Where a byte that is not UTF-8 was replaced (a char index into the text), or -1.</summary>
    public long InvalidUtf8At { get; init; } = -1;

    /// <summary>The path of the node whose text holds <see cref="InvalidUtf8At"/>, once found.</summary>
    public string? InvalidUtf8Path { get; private set; }

    public ParsingEvent Current => inner.Current!;

    public bool MoveNext()
    {
        if (!inner.MoveNext()) return false;
        var e = inner.Current!;
        var top = _open.Count == 0 ? null : _open[^1];
        switch (e)
        {
            case Scalar scalar when top is { IsMap: true, ExpectKey: true }:
                Key(top, scalar);
                break;
            case Scalar scalar:
                Value(top, scalar, 1 + scalar.Value.Length);
                if (!scalar.Anchor.IsEmpty) _anchorSizes[scalar.Anchor.Value] = 1 + scalar.Value.Length;
                Next(top);
                break;
            case MappingStart or SequenceStart:
                Open(top, (NodeEvent)e);
                break;
            case MappingEnd or SequenceEnd:
                Close(top!, e);
                break;
            case AnchorAlias alias:
                if (top is { IsMap: true, ExpectKey: true })
                    throw new YamlLimitException(top.Path(), e.Start, "a field name must be a plain name, not an alias");
                // An alias to no anchor is YamlDotNet's to report, after the document, with its name.
                Value(top, e, _anchorSizes.TryGetValue(alias.Value.Value, out var size) ? size : 1);
                Next(top);
                break;
            default:
                break;
        }
        return true;
    }

    private void Key(Frame map, Scalar key)
    {
        _expanded += 1 + key.Value.Length;
        if (key.Value.Length == 0)
            throw new YamlLimitException(map.Path(), key.Start, "a field with no name; write the field's name before ':'");
        Tag(key, map, key.Value);
        if (!map.Keys.Add(key.Value))
            throw new YamlLimitException(YamlInput.Join(map.Path(), key.Value), key.Start, $"the field {key.Value} is written twice in one mapping; keep one");
        Covers(key, map, key.Value);
        CheckSize(map, key.Value, key.Start);
        map.Key = key.Value;
        map.ExpectKey = false;
    }

    private void Value(Frame? parent, ParsingEvent e, long size)
    {
        _expanded += size;
        if (e is NodeEvent node)
        {
            Tag(node, parent, null);
            Covers(node, parent, null);
        }
        CheckSize(parent, null, e.Start);
    }

    private void Open(Frame? parent, NodeEvent start)
    {
        var kind = start is MappingStart ? "mapping" : "list";
        if (parent is { IsMap: true, ExpectKey: true })
            throw new YamlLimitException(parent.Path(), start.Start, $"a field name must be a plain name, not a {kind}");
        if (_open.Count >= ScenarioLimits.MaxDepth)
            throw new YamlLimitException(Outermost(PathOf(parent)), start.Start,
                $"the file nests lists and mappings deeper than {ScenarioLimits.MaxDepth} levels, the most Lessor reads");
        Tag(start, parent, null);
        _expanded++;
        CheckSize(parent, null, start.Start);
        _open.Add(new Frame(parent, parent is null ? null : parent.IsMap ? parent.Key : null, parent is { IsMap: false } ? parent.Index : -1)
        {
            IsMap = start is MappingStart,
            Anchor = start.Anchor.IsEmpty ? null : start.Anchor.Value,
            ExpandedAtStart = _expanded - 1,
        });
    }

    private void Close(Frame frame, ParsingEvent end)
    {
        _open.RemoveAt(_open.Count - 1);
        // YamlDotNet 18 ends a block mapping after a key with no value (a bare ':' line) and then fails on it
        // with an ArgumentException; the key itself is reported above, so this is only a guard.
        if (frame.IsMap && !frame.ExpectKey)
            throw new YamlLimitException(YamlInput.Join(frame.Path(), frame.Key ?? ""), end.Start, "the field has no value");
        if (frame.Anchor is { } anchor) _anchorSizes[anchor] = _expanded - frame.ExpandedAtStart;
        Next(_open.Count == 0 ? null : _open[^1]);
    }

    private static void Next(Frame? parent)
    {
        if (parent is null) return;
        if (parent.IsMap) parent.ExpectKey = true;
        else parent.Index++;
    }

    // Where a node is, for messages: with a key, that key of the mapping; otherwise the node starting now under parent.
    // Computed only when something is wrong, so reading a good file builds no path at all.
    private static string PathAt(Frame? parent, string? key) => key is null ? PathOf(parent) : YamlInput.Join(parent!.Path(), key);

    private void CheckSize(Frame? parent, string? key, Mark at)
    {
        if (_expanded > ScenarioLimits.MaxExpandedSize)
            throw new YamlLimitException(PathAt(parent, key), at,
                string.Create(CultureInfo.InvariantCulture,
                    $"with its aliases expanded the file holds more than {ScenarioLimits.MaxExpandedSize:N0} characters, the most Lessor reads; repeat less through aliases"));
    }

    private void Tag(NodeEvent node, Frame? parent, string? key)
    {
        var tag = node.Tag;
        if (tag.IsEmpty || tag.IsNonSpecific || CoreTags.Contains(tag.Value)) return;
        input.Error(PathAt(parent, key), node.Start.Line, node.Start.Column, $"unknown tag {tag.Value}; Lessor reads plain values, lists and mappings only", placeholder: false);
    }

    private void Covers(NodeEvent node, Frame? parent, string? key)
    {
        if (InvalidUtf8At < 0 || InvalidUtf8Path is not null) return;
        if (node.Start.Index <= InvalidUtf8At && InvalidUtf8At < Math.Max(node.End.Index, node.Start.Index + 1)) InvalidUtf8Path = PathAt(parent, key);
    }

    /// <summary>The path a node starting now gets: an item of a list, the value of a field, or the root.</summary>
    private static string PathOf(Frame? parent) => parent switch
    {
        null => "",
        { IsMap: true } => YamlInput.Join(parent.Path(), parent.Key ?? ""),
        _ => $"{parent.Path()}[{parent.Index}]",
    };

    /// <summary><c>description</c> for <c>description[0][0][0]</c>: the field, not the depth, is what a planner can find.</summary>
    private static string Outermost(string path)
    {
        var end = path.Length;
        while (end > 0 && path[end - 1] == ']')
        {
            var open = path.LastIndexOf('[', end - 1);
            if (open < 0) break;
            end = open;
        }
        return end == 0 && path.Length > 0 ? path[..(path.IndexOf(']', StringComparison.Ordinal) + 1)] : path[..end];
    }

    /// <summary>An open list or mapping. Its path is built from the parents only when an error needs it.</summary>
    private sealed class Frame(Frame? parent, string? keyInParent, int indexInParent)
    {
        public bool IsMap { get; init; }
        public string? Anchor { get; init; }
        public long ExpandedAtStart { get; init; }
        public bool ExpectKey { get; set; } = true;
        public string? Key { get; set; }
        public int Index { get; set; }
        public HashSet<string> Keys => _keys ??= new HashSet<string>(StringComparer.Ordinal);
        private HashSet<string>? _keys;

        public string Path() => parent switch
        {
            null => "",
            { IsMap: true } => YamlInput.Join(parent.Path(), keyInParent ?? ""),
            _ => $"{parent.Path()}[{indexInParent}]",
        };
    }
}

/// <summary>A file the reader refuses to read further, with the path and position of the node at fault.</summary>
internal sealed class YamlLimitException(string path, Mark at, string message) : Exception(message)
{
    public string Path { get; } = path;
    public Mark At { get; } = at;
}
