using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Dapper;
using Loa.CarrierAdapters.HttpBatch;
using Loa.Storage;
using Loa.Storage.Keys;
using Loa.Tests.Shared;
using Microsoft.Extensions.DependencyInjection;

namespace Loa.CampaignApi.Tests.Security;

/// <summary>The audit trail: who did what, from where, with what outcome, in a chain no one edits unnoticed.</summary>
public sealed class AuditSpecs
{
    private static async Task<List<JsonElement>> AuditAsync(HttpClient admin)
    {
        var rows = new List<JsonElement>();
        string? after = null;
        do
        {
            var page = await admin.GetFromJsonAsync<JsonElement>($"/api/v1/audit?limit=2&after={after}");
            rows.AddRange(page.GetProperty("items").EnumerateArray());
            after = page.GetProperty("next").GetString();
        }
        while (after is not null);
        return rows;
    }

    /// <summary>A key as the audit trail names it: by its id, not its name.</summary>
    private static async Task<string> WhoAsync(LoaTestHost loa, string key) =>
        "key:" + (await loa.Services.GetRequiredService<ApiKeyStore>().FindAsync(key))!.Id;

    private static JsonElement Single(List<JsonElement> rows, string action, string? target = null) =>
        Assert.Single(rows, r => r.GetProperty("action").GetString() == action && (target is null || r.GetProperty("target").GetString() == target));

    private static (string? Before, string? After) Status(JsonElement row)
    {
        var status = row.GetProperty("details").GetProperty("status");
        return (status.GetProperty("before").GetString(), status.GetProperty("after").GetString());
    }

    private static async Task<JsonElement> VerifyAsync(HttpClient admin) =>
        await admin.GetFromJsonAsync<JsonElement>("/api/v1/audit/verify");

    /// <summary>Campaign lifecycle with an audit row per step: upload, create, submit, approve (scheduled), cancel.</summary>
    private static async Task<string> LifecycleAsync(LoaTestHost loa)
    {
        using var author = loa.Client("dev-author");
        using var approver = loa.Client("dev-approver");
        using var operatorClient = loa.Client("dev-operator");
        var list = (await LoaTestHost.UploadListAsync(author, LoaTestHost.NumbersCsv(7))).GetProperty("id").GetString()!;
        var id = await LoaTestHost.CreateCampaignAsync(author, new
        {
            name = "Cảnh báo thử nghiệm",
            kind = "warning",
            channels = new[] { "sms" },
            message = new { sms = "Cuc ATTT canh bao: khong cung cap ma OTP cho bat ky ai." },
            audience = new { lists = new[] { list } },
            schedule = new { startAt = DateTimeOffset.UtcNow.AddDays(1) },
        });
        await LoaTestHost.SubmitAndApproveAsync(author, approver, id);
        Assert.Equal(HttpStatusCode.OK, (await operatorClient.PostAsync($"/api/v1/campaigns/{id}/cancel", null)).StatusCode);
        return id;
    }

    [Fact]
    public async Task A_campaign_lifecycle_leaves_one_row_per_call_with_who_tenant_action_target_outcome_and_status_before_and_after()
    {
        await using var loa = await LoaTestHost.StartAsync();
        using var admin = loa.Client("dev-admin");
        var id = await LifecycleAsync(loa);

        var rows = await AuditAsync(admin);
        var upload = Single(rows, "POST /api/v1/lists");
        Assert.Equal(await WhoAsync(loa, "dev-author"), upload.GetProperty("who").GetString());
        Assert.Equal("dev-author", upload.GetProperty("details").GetProperty("name").GetString());
        Assert.Equal("national", upload.GetProperty("tenant").GetString());
        Assert.Equal(201, upload.GetProperty("outcome").GetInt32());
        Assert.Equal(7, upload.GetProperty("details").GetProperty("upload").GetProperty("accepted").GetInt32());
        Assert.False(string.IsNullOrEmpty(upload.GetProperty("target").GetString()));
        Assert.False(string.IsNullOrEmpty(upload.GetProperty("from").GetString()));

        var create = Single(rows, "POST /api/v1/campaigns");
        Assert.Equal(id, create.GetProperty("target").GetString());
        Assert.Equal(201, create.GetProperty("outcome").GetInt32());

        var submit = Single(rows, "POST /api/v1/campaigns/{id}/submit", id);
        Assert.Equal((await WhoAsync(loa, "dev-author"), 200), (submit.GetProperty("who").GetString(), submit.GetProperty("outcome").GetInt32()));
        Assert.Equal(("draft", "pending_approval"), Status(submit));

        var approve = Single(rows, "POST /api/v1/campaigns/{id}/approve", id);
        Assert.Equal((await WhoAsync(loa, "dev-approver"), 200), (approve.GetProperty("who").GetString(), approve.GetProperty("outcome").GetInt32()));
        Assert.Equal(("pending_approval", "scheduled"), Status(approve));

        var cancel = Single(rows, "POST /api/v1/campaigns/{id}/cancel", id);
        Assert.Equal((await WhoAsync(loa, "dev-operator"), 200), (cancel.GetProperty("who").GetString(), cancel.GetProperty("outcome").GetInt32()));
        Assert.Equal(("scheduled", "cancelled"), Status(cancel));

        // Oldest first, ids without gaps, each row chained to the one before.
        var ids = rows.Select(r => long.Parse(r.GetProperty("id").GetString()!, System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(Enumerable.Range(1, ids.Count).Select(i => (long)i), ids);
        for (var i = 1; i < rows.Count; i++)
            Assert.Equal(rows[i - 1].GetProperty("hash").GetString(), rows[i].GetProperty("prevHash").GetString());
        // Reads are not on the record, only changes.
        Assert.DoesNotContain(rows, r => r.GetProperty("action").GetString()!.StartsWith("GET ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Refused_calls_are_recorded_with_their_status_and_who_tried()
    {
        await using var loa = await LoaTestHost.StartAsync();
        using var admin = loa.Client("dev-admin");
        using var author = loa.Client("dev-author");
        using var stranger = loa.Client("no-such-key");
        var list = (await LoaTestHost.UploadListAsync(author, LoaTestHost.NumbersCsv(3))).GetProperty("id").GetString()!;
        var id = await LoaTestHost.CreateCampaignAsync(author, LoaTestHost.Campaign(list));
        (await author.PostAsync($"/api/v1/campaigns/{id}/submit", null)).EnsureSuccessStatusCode();

        Assert.Equal(HttpStatusCode.Forbidden, (await author.PostAsync($"/api/v1/campaigns/{id}/approve", null)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await stranger.PostAsync($"/api/v1/campaigns/{id}/cancel", null)).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await author.PostAsync($"/api/v1/campaigns/{id}/submit", null)).StatusCode);

        var rows = await AuditAsync(admin);
        var refused = Single(rows, "POST /api/v1/campaigns/{id}/approve", id);
        Assert.Equal((await WhoAsync(loa, "dev-author"), 403), (refused.GetProperty("who").GetString(), refused.GetProperty("outcome").GetInt32()));
        var anonymous = Single(rows, "POST /api/v1/campaigns/{id}/cancel", id);
        Assert.Equal(("", 401), (anonymous.GetProperty("who").GetString(), anonymous.GetProperty("outcome").GetInt32()));
        var conflict = rows.Where(r => r.GetProperty("action").GetString() == "POST /api/v1/campaigns/{id}/submit").Last();
        Assert.Equal(409, conflict.GetProperty("outcome").GetInt32());
        Assert.Equal(("pending_approval", null), Status(conflict));
    }

    [Fact]
    public async Task An_operators_unmasked_read_is_recorded_and_anyone_elses_is_refused_and_recorded()
    {
        await using var loa = await LoaTestHost.StartAsync();
        using var admin = loa.Client("dev-admin");
        using var author = loa.Client("dev-author");
        using var operatorClient = loa.Client("dev-operator");
        var list = (await LoaTestHost.UploadListAsync(author, LoaTestHost.NumbersCsv(3))).GetProperty("id").GetString()!;
        var id = await LoaTestHost.CreateCampaignAsync(author, LoaTestHost.Campaign(list));

        Assert.Equal(HttpStatusCode.OK, (await operatorClient.GetAsync($"/api/v1/campaigns/{id}/deliveries?unmask=true&limit=50")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await author.GetAsync($"/api/v1/campaigns/{id}/deliveries?unmask=true")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await author.GetAsync($"/api/v1/campaigns/{id}/deliveries")).StatusCode);

        var (operatorWho, authorWho) = (await WhoAsync(loa, "dev-operator"), await WhoAsync(loa, "dev-author"));
        var reads = (await AuditAsync(admin)).Where(r => r.GetProperty("action").GetString() == "GET /api/v1/campaigns/{id}/deliveries").ToList();
        Assert.Equal(2, reads.Count); // the masked read is not on the record
        var read = Assert.Single(reads, r => r.GetProperty("who").GetString() == operatorWho);
        Assert.Equal((id, 200), (read.GetProperty("target").GetString(), read.GetProperty("outcome").GetInt32()));
        var what = read.GetProperty("details").GetProperty("read");
        Assert.Equal(id, what.GetProperty("campaign").GetString());
        Assert.Equal(50, what.GetProperty("limit").GetInt32());
        Assert.True(read.GetProperty("details").GetProperty("unmask").GetBoolean());
        var refused = Assert.Single(reads, r => r.GetProperty("who").GetString() == authorWho);
        Assert.Equal(403, refused.GetProperty("outcome").GetInt32());
        Assert.True(refused.GetProperty("details").GetProperty("unmask").GetBoolean());
    }

    [Fact]
    public async Task Carrier_receipts_are_recorded_only_when_refused()
    {
        await using var loa = await LoaTestHost.StartAsync();
        using var admin = loa.Client("dev-admin");
        using var carrier = new HttpClient { BaseAddress = loa.BaseAddress };
        var body = Encoding.UTF8.GetBytes("""[{"messageId":"never-sent-1","status":"delivered","at":"2026-11-23T10:00:00+07:00"}]""");

        using var unsigned = new ByteArrayContent(body);
        Assert.Equal(HttpStatusCode.Unauthorized, (await carrier.PostAsync("/api/v1/carriers/viettel/receipts", unsigned)).StatusCode);
        using var signed = new ByteArrayContent(body);
        signed.Headers.Add(ReceiptSignature.Header, ReceiptSignature.Sign(body, "dev-viettel-receipt-secret"));
        Assert.Equal(HttpStatusCode.Accepted, (await carrier.PostAsync("/api/v1/carriers/viettel/receipts", signed)).StatusCode);

        var row = Assert.Single(await AuditAsync(admin));
        Assert.Equal("POST /api/v1/carriers/{carrierId}/receipts", row.GetProperty("action").GetString());
        Assert.Equal(("viettel", 401), (row.GetProperty("target").GetString(), row.GetProperty("outcome").GetInt32()));
    }

    [Fact]
    public async Task Only_a_national_admin_reads_or_verifies_the_audit_log()
    {
        await using var loa = await LoaTestHost.StartAsync();
        await loa.Services.GetRequiredService<ApiKeyStore>().UpsertAsync("hn-admin", "hn-admin", "HN", ["admin"]);
        foreach (var key in new[] { "dev-author", "dev-approver", "dev-operator", "hn-admin" })
        {
            using var client = loa.Client(key);
            Assert.Equal(HttpStatusCode.Forbidden, (await client.GetAsync("/api/v1/audit")).StatusCode);
            Assert.Equal(HttpStatusCode.Forbidden, (await client.GetAsync("/api/v1/audit/verify")).StatusCode);
        }
    }

    [Fact]
    public async Task Opt_out_numbers_in_the_route_are_masked_in_the_audit_log()
    {
        await using var loa = await LoaTestHost.StartAsync();
        using var admin = loa.Client("dev-admin");
        using var operatorClient = loa.Client("dev-operator");
        Assert.Equal(HttpStatusCode.Created, (await operatorClient.PostAsync("/api/v1/optouts/0912000001", null)).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await operatorClient.PostAsync("/api/v1/optouts/0912-bad-000001", null)).StatusCode);

        var rows = (await AuditAsync(admin)).Where(r => r.GetProperty("action").GetString() == "POST /api/v1/optouts/{msisdn}").ToList();
        Assert.Equal(["+8491****001", "****"], rows.Select(r => r.GetProperty("target").GetString()));
        Assert.DoesNotContain(rows, r => r.GetRawText().Contains("912000001", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Verify_passes_on_an_untouched_log_and_names_the_row_someone_edited_in_the_database()
    {
        await using var loa = await LoaTestHost.StartAsync();
        using var admin = loa.Client("dev-admin");
        Assert.Equal(0, (await VerifyAsync(admin)).GetProperty("rows").GetInt32());
        await LifecycleAsync(loa);

        var ok = await VerifyAsync(admin);
        Assert.True(ok.GetProperty("ok").GetBoolean(), ok.ToString());
        Assert.Equal(5, ok.GetProperty("rows").GetInt32());
        Assert.False(ok.TryGetProperty("brokenAt", out _));

        await using var connection = await loa.Services.GetRequiredService<Database>().OpenAsync();
        // The append-only trigger stops a stray UPDATE; someone who owns the file can drop it.
        await Assert.ThrowsAnyAsync<Exception>(() => connection.ExecuteAsync("UPDATE audit_log SET who = 'someone else' WHERE id = 3"));
        await connection.ExecuteAsync("DROP TRIGGER audit_log_no_update");
        await connection.ExecuteAsync("UPDATE audit_log SET who = 'someone else' WHERE id = 3");

        var broken = await VerifyAsync(admin);
        Assert.False(broken.GetProperty("ok").GetBoolean());
        Assert.Equal(3, broken.GetProperty("brokenAt").GetInt64());
        Assert.Contains("changed", broken.GetProperty("reason").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Deleting_a_row_in_the_middle_breaks_the_chain_at_the_row_after_it()
    {
        await using var loa = await LoaTestHost.StartAsync();
        using var admin = loa.Client("dev-admin");
        await LifecycleAsync(loa);

        await using var connection = await loa.Services.GetRequiredService<Database>().OpenAsync();
        await connection.ExecuteAsync("DROP TRIGGER audit_log_no_delete");
        Assert.Equal(1, await connection.ExecuteAsync("DELETE FROM audit_log WHERE id = 2"));

        var broken = await VerifyAsync(admin);
        Assert.False(broken.GetProperty("ok").GetBoolean());
        Assert.Equal(3, broken.GetProperty("brokenAt").GetInt64());
        Assert.Contains("missing", broken.GetProperty("reason").GetString(), StringComparison.Ordinal);
    }
}
