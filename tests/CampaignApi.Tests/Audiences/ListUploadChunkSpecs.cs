using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Dapper;
using Loa.CarrierAdapters.Routing;
using Loa.Contracts;
using Loa.Dispatcher.Planning;
using Loa.Storage;
using Loa.Tests.Shared;
using Microsoft.Extensions.DependencyInjection;
using static Loa.Storage.Audiences.ListStore;

namespace Loa.CampaignApi.Tests.Audiences;

/// <summary>
/// An upload written a chunk per transaction (perf issue 7) answers exactly as the one-transaction
/// upload did: which rows were new, which repeated, and the per carrier and province counts.
/// </summary>
public sealed class ListUploadChunkSpecs : IAsyncLifetime
{
    private const int MaxRows = 20_000;
    private static readonly string[] Provinces = ["HN", "HCM", "DN", ""];
    private static readonly Dictionary<string, string> Canonical = new() { ["HN"] = "01", ["HCM"] = "79", ["DN"] = "48" };

    private LoaTestHost loa = null!;

    public async Task InitializeAsync() =>
        loa = await LoaTestHost.StartAsync(settings => settings["Loa:Lists:MaxRows"] = MaxRows.ToString(CultureInfo.InvariantCulture));

    public async Task DisposeAsync() => await loa.DisposeAsync();

    [Fact]
    public async Task An_upload_of_several_chunks_reports_repeats_within_and_across_chunks_exactly_and_counts_first_rows()
    {
        const int unique = 3 * ListImport.ChunkRows + 777;
        var csv = new StringBuilder("msisdn,province\n");
        int duplicates = 0, rejected = 0;
        for (var i = 0; i < unique; i++)
        {
            csv.Append(Local(i)).Append(',').Append(Province(i)).Append('\n');
            if (i % 9 == 0)
            {
                // The same number written another way, next row: a repeat inside one chunk. Its province is not counted.
                csv.Append("+84").Append(Local(i)[1..]).Append(",TH\n");
                duplicates++;
            }
            if (i % 13 == 5 && i >= ListImport.ChunkRows)
            {
                // A number from a chunk already written.
                csv.Append("84").Append(Local(i - ListImport.ChunkRows)[1..]).Append(",QNI\n");
                duplicates++;
            }
            if (i % 1_000 == 0)
            {
                csv.Append("not-a-number,HN\n");
                rejected++;
            }
        }
        Assert.True(unique + duplicates + rejected <= MaxRows);

        using var author = loa.Client("dev-author");
        var list = await LoaTestHost.UploadListAsync(author, csv.ToString(), "chunks");

        Assert.Equal(unique, list.GetProperty("accepted").GetInt32());
        Assert.Equal(duplicates, list.GetProperty("duplicates").GetInt32());
        Assert.Equal(rejected, list.GetProperty("rejected").GetInt32());

        var router = await loa.Services.GetRequiredService<RouteTable>().GetAsync(CancellationToken.None);
        var byCarrier = new SortedDictionary<string, long>(StringComparer.Ordinal);
        var byProvince = new SortedDictionary<string, long>(StringComparer.Ordinal);
        for (var i = 0; i < unique; i++)
        {
            Assert.True(Msisdn.TryNormalize(Local(i), router, out var e164, out _));
            var carrier = router.Route(e164) ?? Unrouted.Carrier;
            byCarrier[carrier] = byCarrier.GetValueOrDefault(carrier) + 1;
            // Stored by today's code (HN is 01, HCM 79, DN 48).
            var province = Province(i).Length == 0 ? "unknown" : Canonical[Province(i)];
            byProvince[province] = byProvince.GetValueOrDefault(province) + 1;
        }
        var id = list.GetProperty("id").GetString()!;
        var details = await author.GetFromJsonAsync<JsonElement>($"/api/v1/lists/{id}");
        Assert.Equal(byCarrier, Counts(details.GetProperty("byCarrier")));
        Assert.Equal(byProvince, Counts(details.GetProperty("byProvince")));
        Assert.Equal(unique, details.GetProperty("accepted").GetInt64());
        Assert.Equal(duplicates, details.GetProperty("duplicates").GetInt64());

        await using var connection = await loa.Services.GetRequiredService<Database>().OpenAsync();
        Assert.Equal((long)unique, await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM list_members WHERE list_id = @id", new { id }));
        Assert.Equal(0L, await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM list_members WHERE province IN ('38', '22')"));
    }

    [Fact]
    public async Task An_upload_refused_after_chunks_were_written_leaves_no_members_and_no_list()
    {
        using var author = loa.Client("dev-author");
        using var content = new StringContent(LoaTestHost.NumbersCsv(MaxRows + 1), Encoding.UTF8, "text/csv");
        var response = await author.PostAsync("/api/v1/lists?name=too-large", content);

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        await using var connection = await loa.Services.GetRequiredService<Database>().OpenAsync();
        Assert.Equal(0L, await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM list_members"));
        Assert.Equal(0L, await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM lists"));
        Assert.Equal(0L, await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM list_counts"));
    }

    [Fact]
    public async Task An_upload_over_the_byte_limit_after_chunks_were_written_is_answered_413_and_leaves_nothing()
    {
        await using var small = await LoaTestHost.StartAsync(s => s["Loa:Lists:MaxBytes"] = "100000");
        using var author = small.Client("dev-author");
        using var content = new StringContent(LoaTestHost.NumbersCsv(3 * ListImport.ChunkRows), Encoding.UTF8, "text/csv"); // about 165 kB

        var response = await author.PostAsync("/api/v1/lists?name=too-many-bytes", content);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        await using var connection = await small.Services.GetRequiredService<Database>().OpenAsync();
        Assert.Equal(0L, await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM list_members"));
        Assert.Equal(0L, await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM lists"));
    }

    [Fact]
    public async Task A_slow_sender_s_list_arrives_whole_and_other_writers_go_on_meanwhile()
    {
        using var author = loa.Client("dev-author");
        using var operatorClient = loa.Client("dev-operator");
        var rest = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var firstPart = string.Concat(Enumerable.Range(0, ListImport.ChunkRows + 500).Select(i => Local(i) + ",HN\n"));
        var secondPart = string.Concat(Enumerable.Range(ListImport.ChunkRows + 500, 2_000).Select(i => Local(i) + ",HN\n"));
        using var content = new PausedContent("msisdn,province\n" + firstPart, secondPart, rest.Task);
        var upload = author.PostAsync("/api/v1/lists?name=slow", content);
        await content.FirstSent.WaitAsync(TimeSpan.FromSeconds(30));
        await Task.Delay(300); // let the server read, and write, what has arrived

        // A write of its own while the list is half sent: the upload holds the lock only per chunk.
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        Assert.Equal(HttpStatusCode.Created, (await operatorClient.PostAsync("/api/v1/optouts/0912000001", null, cancel.Token)).StatusCode);
        Assert.False(upload.IsCompleted);

        rest.SetResult();
        var response = await upload.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var list = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(ListImport.ChunkRows + 2_500, list.GetProperty("accepted").GetInt32());
        Assert.Equal(0, list.GetProperty("rejected").GetInt32());
    }

    [Fact]
    public async Task A_list_whose_every_row_was_rejected_is_created_empty_and_can_be_read()
    {
        using var author = loa.Client("dev-author");
        var list = await LoaTestHost.UploadListAsync(author, "msisdn,province\nnot-a-number,HN\n12,HCM\n", "all-rejected");

        Assert.Equal(0, list.GetProperty("accepted").GetInt32());
        Assert.Equal(2, list.GetProperty("rejected").GetInt32());
        var details = await author.GetFromJsonAsync<JsonElement>($"/api/v1/lists/{list.GetProperty("id").GetString()}");
        Assert.Equal(0, details.GetProperty("accepted").GetInt64());
        Assert.Empty(details.GetProperty("byCarrier").EnumerateObject());
        Assert.Empty(details.GetProperty("byProvince").EnumerateObject());
    }

    private static string Local(int n) => LoaTestHost.Number(n);

    private static string Province(int i) => Provinces[i % Provinces.Length];

    private static SortedDictionary<string, long> Counts(JsonElement counts) =>
        new(counts.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt64()), StringComparer.Ordinal);
}
