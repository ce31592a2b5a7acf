using System.Net;
using System.Text;
using System.Text.Json;
using Loa.Tests.Shared;

namespace Loa.CampaignApi.Tests.Input;

/// <summary>
/// A campaign whose JSON has the right shape but wrong items (a null list id, a number where an id
/// goes, a date no alert is sent on) is answered 400 with the field's path, and nothing is written.
/// </summary>
public sealed class CampaignInputSpecs(InputHost host) : IClassFixture<InputHost>
{
    private const string Sms = "Cuc ATTT canh bao: khong cung cap ma OTP cho bat ky ai.";

    [Fact]
    public async Task A_null_list_id_is_a_field_error_naming_its_path()
    {
        var errors = await RefusedAsync("""{"lists":[null]}""", schedule: null);

        Assert.True(errors.TryGetProperty("audience.lists[0]", out _), errors.ToString());
    }

    [Fact]
    public async Task A_list_id_that_is_not_a_string_is_a_field_error_naming_its_path()
    {
        var errors = await RefusedAsync("""{"lists":[1]}""", schedule: null);

        Assert.True(errors.TryGetProperty("audience.lists[0]", out _), errors.ToString());
    }

    [Fact]
    public async Task Null_provinces_and_carriers_are_field_errors_naming_their_paths()
    {
        var errors = await RefusedAsync($$"""{"lists":["{{await ListAsync()}}"],"provinces":[null],"carriers":["viettel",null]}""", schedule: null);

        Assert.True(errors.TryGetProperty("audience.provinces[0]", out _), errors.ToString());
        Assert.True(errors.TryGetProperty("audience.carriers[1]", out _), errors.ToString());
    }

    [Fact]
    public async Task A_start_in_year_9999_with_a_recurrence_is_a_field_error()
    {
        var errors = await RefusedAsync(
            $$"""{"lists":["{{await ListAsync()}}"]}""", """{"startAt":"9999-12-31T00:00:00+07:00","recurrence":"0 0 8 1 * ?"}""");

        Assert.True(errors.TryGetProperty("schedule.startAt", out _), errors.ToString());
    }

    [Fact]
    public async Task An_expiry_in_year_9999_is_a_field_error()
    {
        var errors = await RefusedAsync($$"""{"lists":["{{await ListAsync()}}"]}""", """{"expiresAt":"9999-12-31T00:00:00+07:00"}""");

        Assert.True(errors.TryGetProperty("schedule.expiresAt", out _), errors.ToString());
    }

    [Fact]
    public async Task A_start_before_the_year_2000_is_a_field_error()
    {
        var errors = await RefusedAsync($$"""{"lists":["{{await ListAsync()}}"]}""", """{"startAt":"0001-01-01T00:00:00+00:00"}""");

        Assert.True(errors.TryGetProperty("schedule.startAt", out _), errors.ToString());
    }

    [Theory]
    [InlineData("application/json; charset=utf-999")]
    [InlineData("application/json; charset=\"\"")]
    public async Task A_body_in_a_charset_that_is_no_encoding_is_a_415(string contentType)
    {
        using var author = host.Loa.Client("dev-author");
        using var content = new ByteArrayContent(Encoding.UTF8.GetBytes("""{"name":"x"}"""));
        content.Headers.TryAddWithoutValidation("Content-Type", contentType);

        var response = await author.PostAsync("/api/v1/campaigns", content);

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        await InputHost.ProblemAsync(response);
    }

    private async Task<string> ListAsync()
    {
        using var author = host.Loa.Client("dev-author");
        return (await LoaTestHost.UploadListAsync(author, LoaTestHost.NumbersCsv(3))).GetProperty("id").GetString()!;
    }

    /// <summary>Posts a warning campaign with the given audience and schedule JSON; expects 400 field errors and no campaign.</summary>
    private async Task<JsonElement> RefusedAsync(string audience, string? schedule)
    {
        using var author = host.Loa.Client("dev-author");
        var json = $$"""
            {"name":"Bad input","kind":"warning","channels":["sms"],"message":{"sms":"{{Sms}}"},"audience":{{audience}}{{(schedule is null ? "" : ",\"schedule\":" + schedule)}}}
            """;
        var before = await host.RowCountsAsync();
        using var content = new StringContent(json, Encoding.UTF8, "application/json");

        var response = await author.PostAsync("/api/v1/campaigns", content);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await InputHost.ProblemAsync(response);
        Assert.Empty(InputHost.Changed(before, await host.RowCountsAsync(), "audit_log"));
        return problem.GetProperty("errors");
    }
}
