using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Loa.Tests.Shared;

namespace Loa.EndToEnd.Tests.DeliveryEngine;

/// <summary>Settings and audiences the delivery-engine specs share.</summary>
internal static class EngineWorld
{
    /// <summary>Carrier secrets, and on RabbitMQ a queue prefix of this test's own.</summary>
    public static Action<Dictionary<string, string?>> Settings(bool rabbitMq, Action<Dictionary<string, string?>>? more = null) => s =>
    {
        foreach (var kv in LoaTestHost.CarrierSecrets())
            s[kv.Key] = kv.Value;
        if (rabbitMq)
        {
            s["Loa:Transport"] = "RabbitMq";
            s["ConnectionStrings:RabbitMq"] = DeliveryEngineCollection.RabbitMqAddress();
            s["Loa:Bus:Prefix"] = "loa-" + Guid.NewGuid().ToString("n")[..8];
        }
        more?.Invoke(s);
    };

    /// <summary>Numbers that all route to Viettel (086), <paramref name="offset"/> keeps two lists apart.</summary>
    public static string ViettelCsv(int count, int offset = 0)
    {
        var csv = new StringBuilder("msisdn\n");
        for (var i = 0; i < count; i++)
            csv.Append("086").Append((offset + i).ToString("D7", CultureInfo.InvariantCulture)).Append('\n');
        return csv.ToString();
    }

    /// <summary>Uploads <paramref name="csv"/>, makes a campaign of it (a warning unless <paramref name="campaign"/> says otherwise) and has it approved.</summary>
    public static async Task<string> LaunchAsync(LoaTestHost loa, string csv, Func<string, object>? campaign = null)
    {
        using var author = loa.Client("dev-author");
        using var approver = loa.Client("dev-approver");
        var list = await LoaTestHost.UploadListAsync(author, csv);
        var listId = list.GetProperty("id").GetString()!;
        var id = await LoaTestHost.CreateCampaignAsync(author, campaign?.Invoke(listId) ?? LoaTestHost.Campaign(listId, kind: "warning"));
        await LoaTestHost.SubmitAndApproveAsync(author, approver, id);
        return id;
    }

    public static Task WaitUntilAsync(Func<bool> condition, string what, TimeSpan timeout) =>
        WaitUntilAsync(() => Task.FromResult(condition()), what, timeout);

    public static async Task WaitUntilAsync(Func<Task<bool>> condition, string what, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (await condition())
                return;
            await Task.Delay(100);
        }
        throw new TimeoutException($"Waited {timeout.TotalSeconds:0} s for: {what}");
    }

    /// <summary>Every delivery of the campaign (with <paramref name="status"/> when given), read page by page.</summary>
    public static async Task<IReadOnlyList<JsonElement>> DeliveriesAsync(HttpClient client, string id, string? status = null)
    {
        var items = new List<JsonElement>();
        string? after = null;
        do
        {
            var url = $"/api/v1/campaigns/{id}/deliveries?limit=1000"
                + (status is null ? "" : $"&status={status}")
                + (after is null ? "" : $"&after={after}");
            var page = await client.GetFromJsonAsync<JsonElement>(url);
            items.AddRange(page.GetProperty("items").EnumerateArray().Select(i => i.Clone()));
            after = page.TryGetProperty("next", out var next) ? next.GetString() : null;
        }
        while (after is not null);
        return items;
    }

    /// <summary>Progress is exact: the statuses add up to the total, overall and per carrier.</summary>
    public static void AssertCountsAddUp(JsonElement progress)
    {
        static long Sum(JsonElement p) =>
            new[] { "queued", "submitted", "delivered", "failed", "expired", "cancelled", "suppressed" }.Sum(s => p.GetProperty(s).GetInt64());
        Assert.Equal(progress.GetProperty("total").GetInt64(), Sum(progress));
        foreach (var carrier in progress.GetProperty("byCarrier").EnumerateObject())
            Assert.Equal(carrier.Value.GetProperty("total").GetInt64(), Sum(carrier.Value));
    }

    public static long Count(JsonElement progress, string status) => progress.GetProperty(status).GetInt64();
}
