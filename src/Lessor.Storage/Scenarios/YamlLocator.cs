using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Lessor.Storage.Scenarios;

/// <summary>
/// Finds the line and column of a validator path such as <c>contracts[3].lines[0].gpus</c> by walking the
/// YAML tree: lists keep file order, so model indices are file indices. Nothing is recorded while reading;
/// a path that stops early (a defaulted field) lands on the nearest node that exists.
/// </summary>
internal static class YamlLocator
{
    public static Mark? Find(YamlNode root, string path)
    {
        YamlNode node = root;
        var i = 0;
        while (i < path.Length)
        {
            if (path[i] == '.')
            {
                i++;
                continue;
            }
            YamlNode? next;
            if (path[i] == '[')
            {
                var close = path.IndexOf(']', i);
                var index = int.Parse(path.AsSpan(i + 1, close - i - 1), provider: System.Globalization.CultureInfo.InvariantCulture);
                i = close + 1;
                next = node is YamlSequenceNode seq && index < seq.Children.Count ? seq.Children[index] : null;
            }
            else
            {
                var end = path.IndexOfAny(['.', '['], i);
                if (end < 0) end = path.Length;
                var key = path.AsSpan(i, end - i);
                i = end;
                next = null;
                if (node is YamlMappingNode map)
                {
                    foreach (var (k, v) in map.Children)
                    {
                        if (k is YamlScalarNode s && key.SequenceEqual(s.Value)) { next = v; break; }
                    }
                }
            }
            if (next is null) break;
            node = next;
        }
        return node.Start;
    }
}
