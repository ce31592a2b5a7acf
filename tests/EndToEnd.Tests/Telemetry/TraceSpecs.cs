using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Loa.EndToEnd.Tests.DeliveryEngine;
using Loa.Storage.Keys;
using Loa.Tests.Shared;
using Microsoft.Extensions.DependencyInjection;

namespace Loa.EndToEnd.Tests.Telemetry;

/// <summary>An operator follows one campaign from the approve call to the carrier call in one trace, and no span shows a number.</summary>
[Collection(DeliveryEngineCollection.Name)]
public sealed partial class TraceSpecs
{
    [Fact]
    public async Task One_trace_runs_from_the_approve_call_through_RabbitMq_to_the_carrier_call_and_the_logs_carry_it()
    {
        var telemetry = new TelemetryCapture();
        await using var loa = await LoaTestHost.StartAsync(
            EngineWorld.Settings(rabbitMq: true, s => s["Logging:LogLevel:Loa"] = "Information"),
            configure: telemetry.AddTo);
        using var operatorClient = loa.Client("dev-operator");

        var id = await EngineWorld.LaunchAsync(loa, EngineWorld.ViettelCsv(40));
        await LoaTestHost.WaitForStatusAsync(operatorClient, id, "completed", TimeSpan.FromSeconds(60));

        bool IsApprove(Activity s) => s.Kind == ActivityKind.Server && s.Source.Name == "Microsoft.AspNetCore"
            && s.GetTagItem("http.request.method") as string == "POST" && (s.GetTagItem("url.path") as string ?? "").EndsWith($"/{id}/approve", StringComparison.Ordinal);
        // The server span ends after the response has gone: the client may be a moment ahead of it.
        try
        {
            await EngineWorld.WaitUntilAsync(() => telemetry.Spans.Any(IsApprove), "the approve call's server span", TimeSpan.FromSeconds(10));
        }
        catch (TimeoutException)
        {
            Assert.Fail("no approve span; server spans: " + string.Join("; ", telemetry.Spans.Where(s => s.Kind == ActivityKind.Server)
                .Select(s => $"{s.Source.Name} {s.DisplayName} {s.GetTagItem("http.request.method")} {s.GetTagItem("url.path")}")));
        }
        var approve = Assert.Single(telemetry.Spans, IsApprove);
        var trace = approve.TraceId;
        Activity? submit = null;
        try
        {
            await EngineWorld.WaitUntilAsync(() =>
            {
                submit = telemetry.Spans.FirstOrDefault(s => s.TraceId == trace && s.Source.Name == "Loa" && s.DisplayName == "carrier submit");
                return submit is not null;
            }, "a carrier submit span in the approve call's trace", TimeSpan.FromSeconds(20));
        }
        catch (TimeoutException)
        {
            Assert.Fail($"no carrier submit in trace {trace}; Loa and MassTransit spans:\n" + string.Join("\n", telemetry.Spans
                .Where(s => s.Source.Name is "Loa" or "MassTransit")
                .Select(s => $"{s.StartTimeUtc:HH:mm:ss.fff} {s.TraceId} {s.Source.Name} {s.Kind} {s.DisplayName} {s.GetTagItem("loa.outcome")}")));
        }

        var inTrace = telemetry.Spans.Where(s => s.TraceId == trace).ToList();
        // The bus carried the context: both messages were consumed from RabbitMQ inside the trace.
        Assert.Contains(inTrace, s => s.Source.Name == "MassTransit" && s.Kind == ActivityKind.Consumer && s.DisplayName.Contains("launch", StringComparison.OrdinalIgnoreCase));
        Assert.Contains(inTrace, s => s.Source.Name == "MassTransit" && s.Kind == ActivityKind.Consumer && s.DisplayName.Contains("send", StringComparison.OrdinalIgnoreCase));
        Assert.Equal("viettel", submit!.GetTagItem("loa.carrier"));
        Assert.Equal(id, submit.GetTagItem("loa.campaign_id"));
        // The HTTP call to the carrier is a child of the submit span.
        Assert.Contains(inTrace, s => s.Kind == ActivityKind.Client && s.ParentSpanId == submit.SpanId
            && (s.GetTagItem("url.full") as string ?? "").Contains("/sms/batches", StringComparison.Ordinal));

        // Logs written along the way carry the trace id.
        Assert.Contains(telemetry.Logs, l => l.TraceId == trace && l.Category.EndsWith("LaunchCampaignConsumer", StringComparison.Ordinal)
            && l.Message.Contains(id, StringComparison.Ordinal));
    }

    [Fact]
    public async Task No_span_carries_a_full_number_even_when_the_number_is_in_the_path()
    {
        var telemetry = new TelemetryCapture();
        await using var loa = await LoaTestHost.StartAsync(EngineWorld.Settings(rabbitMq: false), configure: telemetry.AddTo);
        using var operatorClient = loa.Client("dev-operator");

        var id = await EngineWorld.LaunchAsync(loa, EngineWorld.ViettelCsv(40));
        await LoaTestHost.WaitForStatusAsync(operatorClient, id, "completed", TimeSpan.FromSeconds(60));
        (await operatorClient.PostAsync("/api/v1/optouts/+84860000007", null)).EnsureSuccessStatusCode();
        (await operatorClient.GetAsync("/api/v1/optouts/0860000007")).EnsureSuccessStatusCode();

        await EngineWorld.WaitUntilAsync(() => telemetry.Spans.Count(s => s.Source.Name == "Microsoft.AspNetCore"
            && (s.GetTagItem("http.route") as string ?? "").Contains("optouts", StringComparison.Ordinal)) >= 2,
            "the opt-out calls' spans", TimeSpan.FromSeconds(10));
        var spans = telemetry.Spans;
        Assert.Contains(spans, s => s.Source.Name == "Loa");
        var leaks = spans
            .SelectMany(s => s.TagObjects.Select(t => $"{s.DisplayName} {t.Key}={t.Value}").Append(s.DisplayName))
            .Where(text => FullNumber().IsMatch(text))
            .Take(5).ToList();
        Assert.True(leaks.Count == 0, "full numbers in spans:\n" + string.Join("\n", leaks));
        Assert.Contains(spans, s => s.GetTagItem("url.path") is string path && path.Contains("/api/v1/optouts/+8486****007", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_push_batch_is_one_carrier_submit_span_and_its_notifications_record_no_span_of_their_own()
    {
        var telemetry = new TelemetryCapture();
        await using var loa = await LoaTestHost.StartAsync(EngineWorld.Settings(rabbitMq: false, s => s["Loa:Push:Apps:loa:Provider"] = "Fcm"),
            configure: telemetry.AddTo);
        await loa.Services.GetRequiredService<ApiKeyStore>().UpsertAsync("test-app", "national app", "national", ["app"]);
        using var app = loa.Client("test-app");
        using var author = loa.Client("dev-author");
        using var approver = loa.Client("dev-approver");
        using var operatorClient = loa.Client("dev-operator");
        for (var i = 0; i < 12; i++)
        {
            var registered = await app.PostAsJsonAsync("/api/v1/devices", new
            {
                token = $"trace{i:D3}{Guid.NewGuid():n}:APA91b{new string('t', 100)}", platform = "android", app = "loa", province = "HN", language = "vi",
            });
            Assert.Equal(System.Net.HttpStatusCode.Created, registered.StatusCode);
        }
        var created = await author.PostAsJsonAsync("/api/v1/campaigns", new
        {
            name = "Push trace",
            kind = "warning",
            channels = new[] { "push" },
            message = new { push = new { title = "Cảnh báo", body = "Không cung cấp mã OTP cho bất kỳ ai." } },
            audience = new { devices = true },
        });
        var campaign = await created.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(created.IsSuccessStatusCode, campaign.ToString());
        var id = campaign.GetProperty("id").GetString()!;
        await LoaTestHost.SubmitAndApproveAsync(author, approver, id);
        await LoaTestHost.WaitForStatusAsync(operatorClient, id, "completed", TimeSpan.FromSeconds(60));

        await EngineWorld.WaitUntilAsync(() => telemetry.Spans.Any(s => s.Source.Name == "Loa" && s.DisplayName == "carrier submit"
            && s.GetTagItem("loa.carrier") as string == "push-loa"), "the push batch's carrier submit span", TimeSpan.FromSeconds(10));
        var sends = telemetry.Spans.Where(s => (s.GetTagItem("url.full") as string ?? s.GetTagItem("url.path") as string ?? "")
            .Contains("messages:send", StringComparison.Ordinal)).ToList();
        Assert.True(sends.Count == 0, "spans per notification:\n" + string.Join("\n", sends.Take(5).Select(s => $"{s.Source.Name} {s.Kind} {s.DisplayName}")));
    }

    // The list's numbers in any of the forms Loa handles: 086xxxxxxx, 8486xxxxxxx, +8486xxxxxxx (also URL-encoded).
    [GeneratedRegex(@"(?<!\d)(\+|%2B)?(84|0)86\d{7}(?!\d)", RegexOptions.IgnoreCase)]
    private static partial Regex FullNumber();
}
