using System.Net;
using System.Text;
using System.Text.Json;
using Loa.Storage.Audiences;
using Loa.Tests.Shared;

namespace Loa.CampaignApi.Tests.Input;

/// <summary>
/// A list or opt-out upload the CSV reader cannot read is the sender's error: a 400 problem that names
/// the line where reading failed, and nothing written, even when chunks of the list were already in
/// the database. The reader's buffer is bounded, so an oversize record is refused, never held.
/// </summary>
public sealed class MalformedCsvSpecs(InputHost host) : IClassFixture<InputHost>
{
    public static TheoryData<string> Uploads => new() { "/api/v1/lists?name=malformed", "/api/v1/optouts" };

    [Theory]
    [MemberData(nameof(Uploads))]
    public async Task An_empty_upload_is_a_400_naming_line_1(string route)
    {
        var problem = await RefusedAsync(route, "");

        AssertNamesLine(problem, 1);
    }

    [Theory]
    [MemberData(nameof(Uploads))]
    public async Task An_unterminated_quote_is_a_400_naming_the_line(string route)
    {
        var problem = await RefusedAsync(route, $"msisdn,name\n{LoaTestHost.Number(1)},An\n{LoaTestHost.Number(2)},\"Binh\n");

        AssertNamesLine(problem, 3);
    }

    [Theory]
    [MemberData(nameof(Uploads))]
    public async Task A_one_megabyte_field_is_a_400_naming_the_line(string route)
    {
        var problem = await RefusedAsync(route, $"msisdn,name\n{LoaTestHost.Number(1)},An\n{LoaTestHost.Number(2)},{new string('x', 1 << 20)}\n");

        AssertNamesLine(problem, 3);
    }

    [Theory]
    [MemberData(nameof(Uploads))]
    public async Task A_header_with_a_million_columns_is_a_400_naming_line_1(string route)
    {
        var header = new StringBuilder("msisdn");
        for (var i = 0; i < 1_000_000; i++)
            header.Append(",c");
        var problem = await RefusedAsync(route, header.Append('\n').Append(LoaTestHost.Number(1)).Append('\n').ToString());

        AssertNamesLine(problem, 1);
    }

    [Theory]
    [MemberData(nameof(Uploads))]
    public async Task A_row_with_a_million_columns_is_a_400_naming_the_line(string route)
    {
        var problem = await RefusedAsync(route, $"msisdn\n{LoaTestHost.Number(1)}\n{LoaTestHost.Number(2)}{new string(',', 1_000_000)}\n");

        AssertNamesLine(problem, 3);
    }

    [Theory]
    [MemberData(nameof(Uploads))]
    public async Task A_twenty_megabyte_line_is_a_400_naming_the_line(string route)
    {
        var problem = await RefusedAsync(route, $"msisdn\n{LoaTestHost.Number(1)}\n{new string('9', 20 << 20)}\n");

        AssertNamesLine(problem, 3);
    }

    [Theory]
    [MemberData(nameof(Uploads))]
    public async Task An_unterminated_quote_after_chunks_were_written_is_a_400_and_leaves_nothing(string route)
    {
        var csv = LoaTestHost.NumbersCsv(ListStore.ListImport.ChunkRows + 1_000) + "\"0912345678\n";
        var problem = await RefusedAsync(route, csv);

        AssertNamesLine(problem, ListStore.ListImport.ChunkRows + 1_000 + 2);
    }

    /// <summary>Posts the body as text/csv, expects a 400 problem and no row written anywhere but the audit log.</summary>
    private async Task<JsonElement> RefusedAsync(string route, string csv)
    {
        using var operatorAndAuthor = route.Contains("optouts", StringComparison.Ordinal) ? host.Loa.Client("dev-operator") : host.Loa.Client("dev-author");
        var before = await host.RowCountsAsync();
        using var content = new StringContent(csv, Encoding.UTF8, "text/csv");

        var response = await operatorAndAuthor.PostAsync(route, content);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await InputHost.ProblemAsync(response);
        var after = await host.RowCountsAsync();
        Assert.Empty(InputHost.Changed(before, after, "audit_log"));
        Assert.Equal(before["audit_log"] + 1, after["audit_log"]);
        return problem;
    }

    private static void AssertNamesLine(JsonElement problem, long line)
    {
        Assert.Equal(line, problem.GetProperty("line").GetInt64());
        var message = Assert.Single(problem.GetProperty("errors").GetProperty("body").EnumerateArray()).GetString()!;
        Assert.StartsWith($"Line {line}: ", message, StringComparison.Ordinal);
    }
}
