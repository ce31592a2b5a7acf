using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using Loa.Storage;
using Loa.Storage.Audit;
using Loa.Tests.Shared;
using Microsoft.Extensions.DependencyInjection;

namespace Loa.CampaignApi.Tests.Security;

/// <summary>
/// The audit chain is anchored outside the database: signed checkpoints of its head in a file, so
/// that cutting off its newest rows, or rewriting it whole, no longer verifies.
/// </summary>
public sealed class AuditAnchorSpecs : IAsyncLifetime
{
    private readonly string anchors = Path.Combine(Path.GetTempPath(), "loa-anchors-" + Guid.NewGuid().ToString("n"));
    private LoaTestHost loa = null!;

    private string AnchorFile => Path.Combine(anchors, "audit-anchors.jsonl");

    public async Task InitializeAsync() => loa = await LoaTestHost.StartAsync(s =>
    {
        s["Loa:Audit:Anchor:Directory"] = anchors;
        s["Loa:Audit:Anchor:Secret"] = "an-audit-anchor-secret-for-these-specs";
        s["Loa:Audit:Anchor:EveryRows"] = "2";
    });

    public async Task DisposeAsync()
    {
        await loa.DisposeAsync();
        if (Directory.Exists(anchors))
            Directory.Delete(anchors, recursive: true);
    }

    /// <summary>Six audited calls: rows 1 to 6, anchored at 2, 4 and 6.</summary>
    private async Task SixRowsAsync()
    {
        using var operatorClient = loa.Client("dev-operator");
        for (var i = 0; i < 6; i++)
            Assert.Equal(HttpStatusCode.Created, (await operatorClient.PostAsync($"/api/v1/optouts/091200003{i}", null)).StatusCode);
    }

    private async Task<JsonElement> VerifyAsync()
    {
        using var admin = loa.Client("dev-admin");
        return await admin.GetFromJsonAsync<JsonElement>("/api/v1/audit/verify");
    }

    private async Task<System.Data.Common.DbConnection> OpenWithoutTriggersAsync()
    {
        var connection = await loa.Services.GetRequiredService<Database>().OpenAsync();
        await connection.ExecuteAsync("DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete;");
        return connection;
    }

    [Fact]
    public async Task Cutting_off_the_newest_rows_is_noticed_against_the_signed_anchor()
    {
        await SixRowsAsync();
        var ok = await VerifyAsync();
        Assert.True(ok.GetProperty("ok").GetBoolean(), ok.ToString());
        Assert.Equal(6, ok.GetProperty("anchoredThrough").GetInt64());

        await using (var connection = await OpenWithoutTriggersAsync())
            Assert.Equal(3, await connection.ExecuteAsync("DELETE FROM audit_log WHERE id > 3"));

        var broken = await VerifyAsync();
        Assert.False(broken.GetProperty("ok").GetBoolean());
        Assert.Equal(3, broken.GetProperty("rows").GetInt64());
        Assert.Equal(4, broken.GetProperty("brokenAt").GetInt64());
        Assert.Contains("cut off", broken.GetProperty("reason").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_chain_rewritten_with_fresh_hashes_is_noticed_where_it_departs_from_an_anchor()
    {
        await SixRowsAsync();
        await using (var connection = await OpenWithoutTriggersAsync())
        {
            // Someone who owns the database edits row 1 and recomputes every hash after it: the chain
            // itself is consistent again, only the anchors outside know the old head.
            await connection.ExecuteAsync("UPDATE audit_log SET who = 'someone else' WHERE id = 1");
            var previous = "";
            foreach (var row in (await loa.Services.GetRequiredService<AuditStore>().PageAsync(0, 100)).ToList())
            {
                var rewritten = row with { PrevHash = previous };
                rewritten = rewritten with { Hash = AuditStore.Hash(rewritten) };
                await connection.ExecuteAsync("UPDATE audit_log SET prev_hash = @PrevHash, hash = @Hash WHERE id = @Id", rewritten);
                previous = rewritten.Hash;
            }
        }

        var broken = await VerifyAsync();

        Assert.False(broken.GetProperty("ok").GetBoolean());
        Assert.Equal(2, broken.GetProperty("brokenAt").GetInt64());
        Assert.Contains("anchor", broken.GetProperty("reason").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_anchor_not_signed_with_the_configured_secret_fails_verification()
    {
        await SixRowsAsync();
        var lines = await File.ReadAllLinesAsync(AnchorFile);
        Assert.Equal(3, lines.Length);
        var forged = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(lines[^1])!;
        forged["id"] = JsonSerializer.SerializeToElement(3);
        await File.WriteAllLinesAsync(AnchorFile, [.. lines[..^1], JsonSerializer.Serialize(forged)]);

        var broken = await VerifyAsync();

        Assert.False(broken.GetProperty("ok").GetBoolean());
        Assert.Contains("not signed", broken.GetProperty("reason").GetString(), StringComparison.Ordinal);
    }
}
