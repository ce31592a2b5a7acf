using System.Net.Http.Json;
using System.Text.Json;
using Loa.EndToEnd.Tests.DeliveryEngine;
using Loa.Tests.Shared;

namespace Loa.EndToEnd.Tests.Lifecycle;

/// <summary>A recurring campaign: one approval, one run per occurrence, each with its own deliveries and progress.</summary>
[Collection(DeliveryEngineCollection.Name)]
public sealed class RecurrenceSpecs
{
    [Fact]
    public async Task Each_occurrence_becomes_a_run_of_its_own_until_the_series_expires_even_across_a_restart()
    {
        var settings = EngineWorld.Settings(rabbitMq: false, s =>
        {
            s["Loa:Scheduling:PollInterval"] = "00:00:00.200";
            // The restart may cut a run whose messages the simulator took but whose receipts die with
            // it: those end expired at this deadline instead of keeping the run open.
            s["Loa:Dispatcher:ReceiptTimeout"] = "00:00:03";
        });
        var loa = await LoaTestHost.StartAsync(settings);
        var directory = loa.Directory;
        string series;
        try
        {
            using var author = loa.Client("dev-author");
            using var approver = loa.Client("dev-approver");
            var list = await LoaTestHost.UploadListAsync(author, EngineWorld.ViettelCsv(20));
            var response = await author.PostAsJsonAsync("/api/v1/campaigns", new
            {
                name = "Nhắc nhở định kỳ",
                kind = "warning",
                channels = new[] { "sms" },
                message = new { sms = "Canh bao dinh ky: khong chia se ma OTP." },
                audience = new { lists = new[] { list.GetProperty("id").GetString() } },
                // Every four seconds, for twenty seconds: up to five runs. The last run starts at most four
                // seconds before the series (and so the run) expires: on a loaded machine it may expire whole,
                // so the spec asks that some run after the restart went out whole, not the last one.
                schedule = new { recurrence = "0/4 * * * * ?", expiresAt = DateTimeOffset.UtcNow.AddSeconds(20) },
            });
            Assert.Equal(201, (int)response.StatusCode);
            series = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
            await LoaTestHost.SubmitAndApproveAsync(author, approver, series);
            var approved = await author.GetFromJsonAsync<JsonElement>($"/api/v1/campaigns/{series}");
            Assert.Equal("scheduled", approved.GetProperty("status").GetString());
            Assert.NotEqual(JsonValueKind.Null, approved.GetProperty("nextRunAt").ValueKind);

            // Let the first run happen, then restart Loa on the same database in the middle of the series.
            await WaitForRunsAsync(loa, series, 1);
        }
        finally
        {
            await loa.StopKeepingDataAsync();
        }

        await using var again = await LoaTestHost.StartAsync(settings, directory);
        using var operatorClient = again.Client("dev-operator");
        var done = await LoaTestHost.WaitForStatusAsync(operatorClient, series, "completed", TimeSpan.FromSeconds(30));
        var runs = await WaitForRunsAsync(again, series, 2);
        foreach (var run in runs)
            await LoaTestHost.WaitForEndAsync(operatorClient, run.GetProperty("id").GetString()!, TimeSpan.FromSeconds(30));

        // Each occurrence ran once, with its own deliveries; the series itself sent nothing.
        var runTimes = runs.Select(r => r.GetProperty("runAt").GetDateTimeOffset()).ToList();
        Assert.Equal(runTimes.Count, runTimes.Distinct().Count());
        Assert.InRange(runs.Count, 2, 5);
        var delivered = new List<long>();
        foreach (var run in runs)
        {
            var progress = await operatorClient.GetFromJsonAsync<JsonElement>($"/api/v1/campaigns/{run.GetProperty("id").GetString()}/progress");
            // A run cut by the restart may expire: it stops retrying when the next occurrence starts,
            // and what the simulator took before the restart gets no receipt.
            Assert.True(20 == progress.GetProperty("delivered").GetInt64() + progress.GetProperty("expired").GetInt64(), $"{run}\n{progress}");
            delivered.Add(progress.GetProperty("delivered").GetInt64());
            Assert.Equal(series, run.GetProperty("seriesId").GetString());
            Assert.Equal("warning", run.GetProperty("kind").GetString());
        }
        Assert.True(delivered.Skip(1).Contains(20), $"no run after the restart went out whole: delivered {string.Join(", ", delivered)}");
        Assert.Equal(0, done.GetProperty("total").GetInt64());
        Assert.All(runTimes, t => Assert.Equal(0, t.ToOffset(TimeSpan.FromHours(7)).Second % 4));
    }

    [Fact]
    public async Task A_bad_cron_and_a_recurring_emergency_are_refused()
    {
        await using var loa = await LoaTestHost.StartAsync();
        using var author = loa.Client("dev-author");
        var list = (await LoaTestHost.UploadListAsync(author, EngineWorld.ViettelCsv(3))).GetProperty("id").GetString();
        foreach (var (kind, cron) in new[] { ("warning", "every monday"), ("emergency", "0 0 8 * * ?"), ("warning", "0 0 8 1 1 ? 2020") })
        {
            var response = await author.PostAsJsonAsync("/api/v1/campaigns", new
            {
                name = "x", kind, channels = new[] { "sms" }, message = new { sms = "Canh bao" },
                audience = new { lists = new[] { list } }, schedule = new { recurrence = cron },
            });
            Assert.Equal(400, (int)response.StatusCode);
            var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
            Assert.True(problem.GetProperty("errors").TryGetProperty("schedule.recurrence", out _), problem.ToString());
        }
    }

    private static async Task<List<JsonElement>> WaitForRunsAsync(LoaTestHost loa, string series, int atLeast)
    {
        using var operatorClient = loa.Client("dev-operator");
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        List<JsonElement> runs = [];
        while (DateTime.UtcNow < deadline)
        {
            var page = await operatorClient.GetFromJsonAsync<JsonElement>($"/api/v1/campaigns?series={series}&limit=50");
            runs = page.GetProperty("items").EnumerateArray().ToList();
            if (runs.Count >= atLeast)
                return runs;
            await Task.Delay(200);
        }
        throw new TimeoutException($"Series {series} made {runs.Count} runs, expected at least {atLeast}");
    }
}
