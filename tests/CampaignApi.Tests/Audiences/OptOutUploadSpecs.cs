using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Dapper;
using Loa.Storage;
using Loa.Storage.Suppression;
using Loa.Tests.Shared;
using Microsoft.Extensions.DependencyInjection;

namespace Loa.CampaignApi.Tests.Audiences;

/// <summary>
/// An opt-out file: counted exactly over several statements, held to the list upload limits with
/// nothing left behind when refused, and received in full before it takes the write lock, so a
/// slow sender does not stop every other writer.
/// </summary>
public sealed class OptOutUploadSpecs : IAsyncLifetime
{
    private const int MaxRows = 15_000;

    private LoaTestHost loa = null!;

    public async Task InitializeAsync() =>
        loa = await LoaTestHost.StartAsync(settings => settings["Loa:Lists:MaxRows"] = MaxRows.ToString(CultureInfo.InvariantCulture));

    public async Task DisposeAsync() => await loa.DisposeAsync();

    [Fact]
    public async Task An_upload_of_several_statements_counts_repeats_within_and_across_them_and_numbers_already_opted_out()
    {
        using var operatorClient = loa.Client("dev-operator");
        // Opted out before the upload, one by the API and one through an earlier file.
        (await operatorClient.PostAsync($"/api/v1/optouts/{Local(3)}", null)).EnsureSuccessStatusCode();
        (await Upload(operatorClient, $"msisdn\n{Local(SuppressionStore.OptOutChunkRows + 1)}\n")).EnsureSuccessStatusCode();

        const int unique = 2 * SuppressionStore.OptOutChunkRows + 321;
        var csv = new StringBuilder("msisdn\n");
        int duplicates = 2, rejected = 0;
        for (var i = 0; i < unique; i++)
        {
            csv.Append(Local(i)).Append('\n');
            if (i % 7 == 0)
            {
                csv.Append("+84").Append(Local(i)[1..]).Append('\n'); // the next row, another spelling
                duplicates++;
            }
            if (i % 11 == 0 && i >= SuppressionStore.OptOutChunkRows)
            {
                csv.Append(Local(i - SuppressionStore.OptOutChunkRows)).Append('\n'); // a number from the statement before
                duplicates++;
            }
            if (i % 1_000 == 0)
            {
                csv.Append("12345\n");
                rejected++;
            }
        }

        var response = await Upload(operatorClient, csv.ToString());
        response.EnsureSuccessStatusCode();
        var imported = await response.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal(unique - 2, imported.GetProperty("accepted").GetInt32());
        Assert.Equal(duplicates, imported.GetProperty("duplicates").GetInt32());
        Assert.Equal(rejected, imported.GetProperty("rejected").GetInt32());
        Assert.Equal(Math.Min(rejected, 100), imported.GetProperty("errors").GetArrayLength());
        await using var connection = await loa.Services.GetRequiredService<Database>().OpenAsync();
        Assert.Equal((long)unique, await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM optouts"));
        var who = "key:" + (await loa.Services.GetRequiredService<Loa.Storage.Keys.ApiKeyStore>().FindAsync("dev-operator"))!.Id;
        Assert.Equal((long)unique - 1, await connection.ExecuteScalarAsync<long>(
            "SELECT COUNT(*) FROM optouts WHERE source = 'csv' AND created_by = @who AND tenant = 'national'", new { who }));
        var opted = (await operatorClient.GetFromJsonAsync<JsonElement>($"/api/v1/optouts/{Local(unique - 1)}")).GetProperty("source").GetString();
        Assert.Equal("csv", opted);
    }

    [Fact]
    public async Task An_upload_over_the_row_limit_is_refused_after_statements_ran_and_opts_out_nobody()
    {
        using var operatorClient = loa.Client("dev-operator");
        var csv = new StringBuilder("msisdn\n");
        for (var i = 0; i <= MaxRows; i++)
            csv.Append(Local(i)).Append('\n');

        var response = await Upload(operatorClient, csv.ToString());

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        await using var connection = await loa.Services.GetRequiredService<Database>().OpenAsync();
        Assert.Equal(0L, await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM optouts"));
    }

    [Fact]
    public async Task An_upload_over_the_byte_limit_is_refused_413_and_opts_out_nobody()
    {
        await using var small = await LoaTestHost.StartAsync(s => s["Loa:Lists:MaxBytes"] = "50000");
        using var operatorClient = small.Client("dev-operator");
        var csv = new StringBuilder("msisdn\n");
        for (var i = 0; i < 10_000; i++) // about 110 kB
            csv.Append(Local(i)).Append('\n');

        var response = await Upload(operatorClient, csv.ToString());

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        await using var connection = await small.Services.GetRequiredService<Database>().OpenAsync();
        Assert.Equal(0L, await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM optouts"));
        // The audit trail records the answer the caller got.
        using var admin = small.Client("dev-admin");
        var audit = await admin.GetFromJsonAsync<JsonElement>("/api/v1/audit?limit=50");
        var row = Assert.Single(audit.GetProperty("items").EnumerateArray(), r => r.GetProperty("action").GetString() == "POST /api/v1/optouts");
        Assert.Equal(413, row.GetProperty("outcome").GetInt32());
    }

    [Fact]
    public async Task Other_writers_go_on_while_a_slow_client_is_still_sending_its_file()
    {
        using var operatorClient = loa.Client("dev-operator");
        var rest = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var firstHalf = string.Concat(Enumerable.Range(0, 6_000).Select(i => Local(i) + "\n"));
        var secondHalf = string.Concat(Enumerable.Range(6_000, 3_000).Select(i => Local(i) + "\n"));
        using var content = new PausedContent("msisdn\n" + firstHalf, secondHalf, rest.Task);
        var upload = operatorClient.PostAsync("/api/v1/optouts", content);
        await content.FirstSent.WaitAsync(TimeSpan.FromSeconds(30));
        await Task.Delay(300); // let the server read what has arrived

        // A single opt-out, a write of its own, while the file is half sent.
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var single = await operatorClient.PostAsync($"/api/v1/optouts/{Local(50_000)}", null, cancel.Token);
        Assert.Equal(HttpStatusCode.Created, single.StatusCode);
        Assert.False(upload.IsCompleted);

        rest.SetResult();
        var response = await upload.WaitAsync(TimeSpan.FromSeconds(30));
        response.EnsureSuccessStatusCode();
        Assert.Equal(9_000, (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("accepted").GetInt32());
    }

    private static Task<HttpResponseMessage> Upload(HttpClient client, string csv) =>
        client.PostAsync("/api/v1/optouts", new StringContent(csv, Encoding.UTF8, "text/csv"));

    private static string Local(int n) => LoaTestHost.Number(n);
}
