using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Loa.CampaignApi.Security;
using Loa.CampaignApi.Verification;
using Loa.CampaignApi.WebConsole;
using Loa.Contracts;
using Loa.Storage.Suppression;

namespace Loa.Dashboard.Tests;

/// <summary>
/// The console's string tables, as embedded in the assembly: every language has every key, and every
/// key the page asks for (in its HTML, its script, and for each word of the API's vocabularies it
/// shows) is in every table. A string added in one place only fails here, before anyone sees ⟦key⟧.
/// </summary>
public sealed partial class ConsoleStringsSpecs
{
    private static Dictionary<string, string> Table(string language) =>
        JsonSerializer.Deserialize<Dictionary<string, string>>(ConsoleApi.Embedded($"{language}.json"))!;

    private static string Text(string name) => Encoding.UTF8.GetString(ConsoleApi.Embedded(name));

    /// <summary>Keys the script builds from the API's words (<c>t(`status.${s}`)</c> and the like).</summary>
    private static IEnumerable<string> Vocabulary()
    {
        string[] statuses = [CampaignStatus.Draft, CampaignStatus.PendingApproval, CampaignStatus.Scheduled, CampaignStatus.Running,
            CampaignStatus.Paused, CampaignStatus.Completed, CampaignStatus.Cancelled, CampaignStatus.Failed];
        foreach (var status in statuses)
            yield return $"status.{status}";
        foreach (var kind in CampaignKind.All)
        {
            yield return $"kind.{kind}";
            yield return $"kind.{kind}.long";
        }
        foreach (var role in new[] { Roles.Author, Roles.Approver, Roles.Operator, Roles.Admin, Roles.App })
            yield return $"role.{role}";
        foreach (var reason in SuppressionReason.All)
            yield return $"suppressed.{reason}";
        var script = Text("console.js");
        var types = ProblemTypes().Match(script);
        Assert.True(types.Success, "console.js no longer lists PROBLEM_TYPES");
        foreach (var type in QuotedWord().Matches(types.Groups[1].Value).Select(m => m.Groups[1].Value))
            yield return $"problem.type.{type}";
        foreach (var name in new[] { "FIELD_NAMES", "FIELD_MESSAGES" })
        {
            foreach (var key in MapValue().Matches(Block(script, name)).Select(m => m.Groups[1].Value))
                yield return key;
        }
        yield return "encoding.gsm7";
        yield return "encoding.ucs2";
    }

    [Fact]
    public void Every_language_has_the_same_keys_and_no_empty_string()
    {
        var tables = ConsoleApi.Languages.ToDictionary(l => l, Table);
        var all = tables.Values.SelectMany(t => t.Keys).ToHashSet(StringComparer.Ordinal);
        foreach (var (language, table) in tables)
        {
            Assert.True(all.SetEquals(table.Keys), $"{language}.json lacks: {string.Join(", ", all.Except(table.Keys))}");
            Assert.All(table, kv => Assert.False(string.IsNullOrWhiteSpace(kv.Value), $"{language}.json: {kv.Key} is empty"));
        }
        Assert.Equal("vi", ConsoleApi.Languages[0]);
    }

    [Fact]
    public void A_singular_form_stands_beside_its_key_with_the_same_placeholders_and_only_for_a_counted_string()
    {
        var script = Text("console.js");
        var counted = CountedCall().Matches(script).Select(m => m.Groups[1].Value).ToHashSet(StringComparer.Ordinal);
        Assert.Contains("communes.loaded", counted);
        foreach (var language in ConsoleApi.Languages)
        {
            var table = Table(language);
            var singulars = table.Keys.Where(k => k.EndsWith(".one", StringComparison.Ordinal)).ToList();
            Assert.NotEmpty(singulars);
            foreach (var key in singulars)
            {
                var plain = key[..^".one".Length];
                Assert.True(table.ContainsKey(plain), $"{language}.json: {key} has no {plain}");
                Assert.True(counted.Contains(plain), $"{plain} has a singular form but console.js never counts it (tn)");
                static string[] Names(string text) => [.. Placeholder().Matches(text).Select(m => m.Value).Order(StringComparer.Ordinal)];
                Assert.Equal(Names(table[plain]), Names(table[key]));
            }
        }
        // English says "1 commune"; a language without the form (Vietnamese) repeats the text, which tn never picks.
        Assert.Equal("A commune table is loaded: {n} commune.", Table("en")["communes.loaded.one"]);
    }

    [Fact]
    public void Every_key_the_page_uses_is_in_every_language()
    {
        var html = Text("index.html");
        var script = Text("console.js");
        var used = Attribute().Matches(html).Select(m => m.Groups[1].Value)
            .Concat(Call().Matches(script).Select(m => m.Groups[1].Value))
            .Concat(Vocabulary())
            .ToHashSet(StringComparer.Ordinal);
        Assert.True(used.Count > 100, $"only {used.Count} keys found: the patterns no longer match the page");
        foreach (var language in ConsoleApi.Languages)
        {
            var table = Table(language);
            var missing = used.Where(k => !table.ContainsKey(k)).Order(StringComparer.Ordinal).ToList();
            Assert.True(missing.Count == 0, $"{language}.json lacks: {string.Join(", ", missing)}");
        }
    }

    [Fact]
    public void The_page_has_no_text_outside_the_tables()
    {
        // Between tags, only whitespace, punctuation and the brand (and the language names, each written in its own language).
        var html = Text("index.html");
        var body = html[html.IndexOf("<body>", StringComparison.Ordinal)..];
        var words = TextBetweenTags().Matches(body).Select(m => m.Groups[1].Value.Trim())
            .Where(t => t.Length > 0 && t.Any(char.IsLetter))
            .Except(["Loa", "Tiếng Việt", "English"], StringComparer.Ordinal)
            .ToList();
        Assert.True(words.Count == 0, "hard-coded text: " + string.Join(" | ", words));
    }

    [Fact]
    public void The_public_alert_pages_have_every_string_in_every_language()
    {
        Assert.Equal("vi", PublicAlertsApi.Languages[0]);
        var tables = PublicAlertsApi.Languages.ToDictionary(l => l, PublicAlertsApi.Strings);
        var all = tables.Values.SelectMany(t => t.Keys).ToHashSet(StringComparer.Ordinal);
        // The kinds a public page lists (a test never shows), each named in the reader's language.
        all.UnionWith(new[] { CampaignKind.Emergency, CampaignKind.Warning, CampaignKind.Awareness }.Select(k => $"kind.{k}"));
        foreach (var (language, table) in tables)
        {
            Assert.True(all.SetEquals(table.Keys), $"alerts-{language}.json lacks: {string.Join(", ", all.Except(table.Keys))}");
            Assert.All(table, kv => Assert.False(string.IsNullOrWhiteSpace(kv.Value), $"alerts-{language}.json: {kv.Key} is empty"));
        }
    }

    [Fact]
    public void Every_server_message_the_console_translates_is_still_written_by_the_server()
    {
        // The console matches the API's English field errors by their exact text: one reworded there would
        // silently fall back to English here, so each must still be a literal in the API's source.
        var script = Text("console.js");
        var messages = MessageKey().Matches(Block(script, "FIELD_MESSAGES")).Select(m => m.Groups[1].Success ? m.Groups[1].Value : m.Groups[2].Value).ToList();
        Assert.True(messages.Count >= 5, $"only {messages.Count} messages found: the pattern no longer matches");
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Loa.slnx")))
            directory = directory.Parent;
        Assert.NotNull(directory);
        var source = string.Concat(Directory.EnumerateFiles(Path.Combine(directory.FullName, "src", "CampaignApi"), "*.cs", SearchOption.AllDirectories).Select(File.ReadAllText));
        var gone = messages.Where(m => !source.Contains($"\"{m}\"", StringComparison.Ordinal)).ToList();
        Assert.True(gone.Count == 0, "no longer written by the API: " + string.Join(" | ", gone));
    }

    /// <summary>
    /// The body of <c>const name = { … };</c> in the script, up to the line that closes it: a server message the
    /// console translates may itself hold braces (<c>/provinces/{code}</c>).
    /// </summary>
    private static string Block(string script, string name)
    {
        var block = Regex.Match(script, $@"^const {name} = \{{(.*?)^\}};", RegexOptions.Singleline | RegexOptions.Multiline);
        Assert.True(block.Success, $"console.js no longer has {name}");
        return block.Groups[1].Value;
    }

    [GeneratedRegex(@":\s*'([^']+)'")]
    private static partial Regex MapValue();

    [GeneratedRegex(@"^\s*(?:'([^']+)'|""([^""]+)""):", RegexOptions.Multiline)]
    private static partial Regex MessageKey();

    [GeneratedRegex(@"data-i18n(?:-aria-label)?=""([^""]+)""")]
    private static partial Regex Attribute();

    [GeneratedRegex(@"\btn?\('([^']+)'")]
    private static partial Regex Call();

    [GeneratedRegex(@"\btn\('([^']+)'")]
    private static partial Regex CountedCall();

    [GeneratedRegex(@"\{\w+\}")]
    private static partial Regex Placeholder();

    [GeneratedRegex(@"const PROBLEM_TYPES = \[([^\]]+)\]")]
    private static partial Regex ProblemTypes();

    [GeneratedRegex(@"'([^']+)'")]
    private static partial Regex QuotedWord();

    [GeneratedRegex(@">([^<]+)<")]
    private static partial Regex TextBetweenTags();
}
