using Loa.Tests.Shared;
using Xunit.Abstractions;

namespace Loa.EndToEnd.Tests.DeliveryEngine;

/// <summary>A campaign's expiry is the end of its retries: what has not gone out by then is expired, not failed.</summary>
[Collection(DeliveryEngineCollection.Name)]
public sealed class ExpirySpecs(ITestOutputHelper output)
{
    [Fact]
    public async Task Expiry_ends_the_retries_of_a_carrier_that_never_answers_and_every_message_ends_expired()
    {
        const int recipients = 300; // three batches, all sent in the lane's first second
        await using var loa = await LoaTestHost.StartAsync(EngineWorld.Settings(rabbitMq: false, s =>
        {
            s["Loa:Carriers:viettel:PartsPerSecond"] = "300";
            s["Loa:Carriers:viettel:MaxBatchSize"] = "100";
            s["Loa:Simulators:Carriers:viettel:ServerErrorRatio"] = "1";
            s["Loa:Dispatcher:RetrySchedule:0"] = "00:00:01";
            s["Loa:Dispatcher:MaxAttempts"] = "100"; // far more than the five seconds allow
        }));
        using var operatorClient = loa.Client("dev-operator");

        var expiresAt = DateTimeOffset.MaxValue;
        var id = await EngineWorld.LaunchAsync(loa, EngineWorld.ViettelCsv(recipients), listId =>
        {
            // Counted from the campaign's creation, not before the upload, so a slow upload still leaves time for retries.
            expiresAt = DateTimeOffset.UtcNow.AddSeconds(5);
            return new
            {
                name = "Cảnh báo ngắn hạn",
                kind = "warning",
                channels = new[] { "sms" },
                message = new { sms = "Cuc ATTT canh bao: khong cung cap ma OTP cho bat ky ai." },
                audience = new { lists = new[] { listId } },
                schedule = new { expiresAt },
            };
        });
        // None went out before the expiry: the campaign reached nobody and ends failed.
        var progress = await LoaTestHost.WaitForStatusAsync(operatorClient, id, "failed", TimeSpan.FromSeconds(20));

        var viettel = loa.Simulators.Stats["viettel"];
        var completedAt = progress.GetProperty("completedAt").GetDateTimeOffset();
        var expired = await EngineWorld.DeliveriesAsync(operatorClient, id, "expired");
        output.WriteLine($"{viettel.ServerErrors} submits, completed {(completedAt - expiresAt).TotalMilliseconds:0} ms after the expiry; reasons: "
            + string.Join("; ", expired.GroupBy(d => d.GetProperty("error").GetString()?.Split(':')[0]).Select(g => $"{g.Count()} × {g.Key}")));

        Assert.Equal(recipients, EngineWorld.Count(progress, "expired"));
        Assert.Equal(0, EngineWorld.Count(progress, "failed"));
        EngineWorld.AssertCountsAddUp(progress);
        Assert.Equal(recipients, expired.Count);
        Assert.All(expired, d => Assert.Contains("expired", d.GetProperty("error").GetString(), StringComparison.Ordinal));
        // Retries ran until the expiry and no longer.
        Assert.True(viettel.ServerErrors > 3, $"only {viettel.ServerErrors} submits: the batches were not retried");
        Assert.Equal(0, viettel.MessagesAccepted);
        Assert.True(completedAt <= expiresAt.AddSeconds(3), $"completed at {completedAt:O}, expiry {expiresAt:O}");
    }
}
