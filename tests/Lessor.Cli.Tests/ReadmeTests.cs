using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Lessor.Cli.Tests;

/// <summary>
/// The README's CLI tour, run: every `lessor ...` line of every fenced block (not `serve`, not curl or shell), in
/// order, each block against its own fresh store. A line exits 0 unless its comment starts with "exit N:"; after a
/// `$ lessor ...` line, the quoted lines must appear in what it printed (whitespace runs compared as one space).
/// </summary>
public sealed partial class ReadmeTests
{
    /// <summary>A `lessor` line of the README: its words, the exit code it documents, and the lines it quotes as output.</summary>
    public sealed record Step(int Line, string Text, IReadOnlyList<string> Words, int Code, IReadOnlyList<string> Quoted);

    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "README.md")) && File.Exists(Path.Combine(dir.FullName, "Lessor.slnx"))) return dir.FullName;
        }
        throw new InvalidOperationException($"No README.md with Lessor.slnx above {AppContext.BaseDirectory}.");
    }

    /// <summary>The README's fenced blocks that hold `lessor` lines, in order, each as its steps.</summary>
    public static IReadOnlyList<IReadOnlyList<Step>> Blocks()
    {
        var lines = File.ReadAllLines(Path.Combine(RepoRoot(), "README.md"));
        var blocks = new List<IReadOnlyList<Step>>();
        List<Step>? block = null;
        List<string>? quoted = null;
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i];
            if (line.StartsWith("```", StringComparison.Ordinal))
            {
                if (block is null) block = [];
                else
                {
                    if (block.Count > 0) blocks.Add(block);
                    block = null;
                }
                quoted = null;
                continue;
            }
            if (block is null) continue;
            var transcript = line.StartsWith("$ ", StringComparison.Ordinal);
            var command = transcript ? line[2..] : line;
            if (command.StartsWith("lessor ", StringComparison.Ordinal))
            {
                quoted = transcript ? [] : null;
                var words = Words(StripComment(command, out var comment));
                var code = ExitComment().Match(comment) is { Success: true } m ? int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : 0;
                block.Add(new Step(i + 1, line, words, code, quoted ?? []));
            }
            else if (quoted is not null && line.Length > 0) quoted.Add(line);
        }
        return blocks;
    }

    public static TheoryData<int> BlockNumbers() => [.. Enumerable.Range(0, Blocks().Count)];

    [Fact]
    public void Given_the_readme_When_parsed_Then_the_tour_has_its_blocks_and_quotes()
    {
        var steps = Blocks().SelectMany(b => b).ToList();
        // The estate, deal desk, placement, delivery (two), finance (two) and access blocks.
        Assert.True(Blocks().Count >= 8, $"{Blocks().Count} blocks");
        Assert.Contains(steps, s => s.Words is ["lessor", "scenario", "import", ..]);
        Assert.Contains(steps, s => s.Quoted.Any(q => q.Contains("66.82B USD", StringComparison.Ordinal)));
        Assert.Contains(steps, s => s.Code == 3);
        // An elided command cannot be run: the tour spells each one out.
        Assert.DoesNotContain(steps, s => s.Words.Contains("..."));
    }

    [Fact]
    public void Given_the_readme_When_read_Then_its_exit_code_table_is_the_one_lessor_help_prints()
    {
        var readme = File.ReadAllText(Path.Combine(RepoRoot(), "README.md"));
        foreach (var row in ExitCodes.Table.Split('\n').Skip(1).Where(l => l.Trim().Length > 0))
        {
            var code = row.Trim()[0];
            Assert.Matches(new Regex($@"^\| {code} \| ", RegexOptions.Multiline), readme);
        }
        Assert.Contains("| 3 | refused:", readme, StringComparison.Ordinal);
        Assert.Contains("| 2 | bad input:", readme, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(BlockNumbers))]
    public async Task Given_a_fresh_store_When_a_readme_block_is_run_Then_each_line_exits_as_documented_and_prints_what_it_quotes(int number)
    {
        var root = RepoRoot();
        var block = Blocks()[number];
        var folder = Path.Combine(Path.GetTempPath(), $"lessor-readme-{Guid.NewGuid():N}");
        Directory.CreateDirectory(folder);
        var db = Path.Combine(folder, "demo.db");
        var sample = Path.Combine(root, "samples", "neocloud-2026.yaml");
        // A block that imports starts from nothing; any other from the sample imported.
        if (!block.Any(s => s.Words is ["lessor", "scenario", "import", ..]))
            Assert.Equal(0, (await CliRunner.RunAsync("scenario", "import", sample, "--db", db)).ExitCode);

        foreach (var step in block)
        {
            if (step.Words[1] == "serve") continue;
            var (args, redirect) = await Arguments(step, root, folder, db);

            var run = await CliRunner.RunAsync(args);

            var said = $"README.md:{step.Line}: {step.Text}{Environment.NewLine}exit {run.ExitCode}{Environment.NewLine}{run.Out}{run.Err}";
            Assert.True(run.ExitCode == step.Code, said);
            if (redirect is not null) await File.WriteAllTextAsync(redirect, run.Out);
            var printed = Squeeze(run.Out + run.Err);
            foreach (var q in step.Quoted) Assert.True(printed.Contains(Squeeze(q), StringComparison.Ordinal), $"not printed: {q}{Environment.NewLine}{said}");
        }
    }

    /// <summary>
    /// The line's words for the CLI: `--db` to the block's store, the sample to the repository's, other files into the
    /// block's folder, `&gt; file` as a redirect, and `&lt;id&gt;` of `keys revoke` to a key the store holds.
    /// </summary>
    private static async Task<(string[] Args, string? Redirect)> Arguments(Step step, string root, string folder, string db)
    {
        var args = new List<string>();
        string? redirect = null;
        var words = step.Words.Skip(1).ToList();
        for (var i = 0; i < words.Count; i++)
        {
            var w = words[i];
            if (w == ">")
            {
                redirect = Path.Combine(folder, Path.GetFileName(words[++i]));
                continue;
            }
            if (i > 0 && words[i - 1] == "--db") args.Add(db);
            else if (w.StartsWith("samples/", StringComparison.Ordinal)) args.Add(Path.Combine(root, w));
            else if (w == "<id>" && words is ["keys", "revoke", ..]) args.Add(await ActiveKey(db));
            else if (w.StartsWith('<')) throw new InvalidOperationException($"README.md:{step.Line}: no stand-in for {w}; teach ReadmeTests one.");
            else if (LooksLikeAFile(w)) args.Add(Path.Combine(folder, Path.GetFileName(w.TrimEnd('/'))));
            else args.Add(w);
        }
        return ([.. args], redirect);
    }

    private static bool LooksLikeAFile(string word) =>
        !word.StartsWith('-') && (word.EndsWith('/') || Regex.IsMatch(word, @"\.(json|png|svg|yaml|db|html|csv)$", RegexOptions.None, TimeSpan.FromSeconds(1)));

    private static async Task<string> ActiveKey(string db)
    {
        var list = await CliRunner.RunAsync("keys", "list", "--db", db, "--json");
        return JsonDocument.Parse(list.Out).RootElement.EnumerateArray()
            .Last(k => !k.TryGetProperty("revoked_at", out var at) || at.ValueKind == JsonValueKind.Null).GetProperty("id").GetString()!;
    }

    private static string StripComment(string line, out string comment)
    {
        var inQuote = false;
        for (var i = 0; i < line.Length; i++)
        {
            if (line[i] == '"') inQuote = !inQuote;
            else if (line[i] == '#' && !inQuote && (i == 0 || char.IsWhiteSpace(line[i - 1])))
            {
                comment = line[(i + 1)..].Trim();
                return line[..i];
            }
        }
        comment = "";
        return line;
    }

    /// <summary>Splits a shell line on blanks, keeping double-quoted words whole.</summary>
    private static List<string> Words(string line)
    {
        var words = new List<string>();
        var word = new StringBuilder();
        var inQuote = false;
        foreach (var ch in line)
        {
            if (ch == '"') inQuote = !inQuote;
            else if (char.IsWhiteSpace(ch) && !inQuote)
            {
                if (word.Length > 0) words.Add(word.ToString());
                word.Clear();
            }
            else word.Append(ch);
        }
        if (word.Length > 0) words.Add(word.ToString());
        return words;
    }

    private static string Squeeze(string text) => Blanks().Replace(text, " ");

    [GeneratedRegex(@"^exit (\d)\b")]
    private static partial Regex ExitComment();

    [GeneratedRegex(@"[ \t]+")]
    private static partial Regex Blanks();
}
