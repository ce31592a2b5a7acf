using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using Loa.Storage;
using Loa.Storage.Keys;
using Loa.Tests.Shared;
using Microsoft.Extensions.DependencyInjection;

namespace Loa.CampaignApi.Tests.Input;

/// <summary>
/// One host shared by a class of bad-input specs: the real API on loopback Kestrel, with the request
/// limiter opened wide (these specs send many requests from one key) and the development carrier
/// secrets, so a spec can sign receipts.
/// </summary>
public sealed class InputHost : IAsyncLifetime
{
    public LoaTestHost Loa { get; private set; } = null!;

    /// <summary>A national key with every role but carrier: every route lets it past authorization to the input.</summary>
    public const string EveryRole = "input-every-role";

    public async Task InitializeAsync()
    {
        Loa = await LoaTestHost.StartAsync(settings =>
        {
            settings["Loa:Limits:RequestsPerSecond"] = "100000";
            settings["Loa:Limits:Burst"] = "100000";
            settings["Loa:Limits:ReceiptPostsPerSecond"] = "100000";
        });
        await Loa.Services.GetRequiredService<ApiKeyStore>().UpsertAsync(EveryRole, EveryRole, "national", ["author", "approver", "operator", "admin", "app"]);
    }

    public async Task DisposeAsync() => await Loa.DisposeAsync();

    /// <summary>
    /// Rows in every table of the database, by table: what "nothing written" is checked against. Quartz's
    /// own tables are left out: its poll job fires every half second whatever a request did.
    /// </summary>
    public async Task<Dictionary<string, long>> RowCountsAsync()
    {
        await using var connection = await Loa.Services.GetRequiredService<Database>().OpenAsync();
        var tables = await connection.QueryAsync<string>(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'qrtz_%' ORDER BY name");
        var counts = new Dictionary<string, long>();
        foreach (var table in tables)
            counts[table] = await connection.ExecuteScalarAsync<long>($"SELECT COUNT(*) FROM \"{table.Replace("\"", "\"\"", StringComparison.Ordinal)}\"");
        return counts;
    }

    /// <summary>The tables whose row count differs between two <see cref="RowCountsAsync"/> readings, with both counts.</summary>
    public static List<string> Changed(Dictionary<string, long> before, Dictionary<string, long> after, params string[] except) =>
        after.Where(t => !except.Contains(t.Key) && before.GetValueOrDefault(t.Key) != t.Value)
            .Select(t => $"{t.Key}: {before.GetValueOrDefault(t.Key)} → {t.Value}")
            .ToList();

    public static async Task<JsonElement> ProblemAsync(HttpResponseMessage response)
    {
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }
}
