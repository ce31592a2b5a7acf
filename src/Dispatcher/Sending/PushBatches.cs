using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using Loa.CarrierAdapters;
using Loa.Contracts;
using Loa.Dispatcher.Devices;
using Loa.Storage.Batches;
using Loa.Storage.Campaigns;
using Loa.Storage.Devices;
using Microsoft.Extensions.Options;

namespace Loa.Dispatcher.Sending;

/// <param name="Batch">What goes to the provider: one message per device whose token could be read, and one per topic delivery (marked <see cref="OutgoingMessage.Topic"/>).</param>
/// <param name="Unsendable">Deliveries that end failed without a request: the device was removed since planning, or its token cannot be unprotected.</param>
/// <param name="DeviceOf">The device of each message sent, by delivery id, for pruning.</param>
public sealed record PushPrepared(CarrierBatch Batch, IReadOnlyList<SubmitResult> Unsendable, IReadOnlyDictionary<string, long> DeviceOf);

/// <summary>
/// What a push lane does around the adapter: turns a batch's deliveries (recipient = device id, or a topic
/// name for an app on topics) into notifications to the devices' tokens or to the topics, unprotected only here and only in memory, and prunes the devices
/// whose token the provider declared dead. The token never reaches a log, a row or a reason.
/// </summary>
public sealed class PushBatches(PushTargets targets, DeviceTokens tokens, IOptionsMonitor<SafetyOptions> safety)
{
    public const string DeviceGone = "device unregistered since the campaign was planned";
    public const string TokenUnreadable = "device token cannot be unprotected (key ring changed?)";

    public async Task<PushPrepared> PrepareAsync(BatchClaim batch, CampaignRow campaign, IReadOnlyList<BatchMessage> messages, CancellationToken ct)
    {
        var definition = JsonSerializer.Deserialize<CampaignDefinition>(campaign.Definition, LoaJson.Options);
        var title = definition?.Message?.Push?.Title ?? "";
        var body = definition?.Message?.Push?.Body ?? "";
        // As for SMS: a test can never pass for a real alert, so its marker leads the title phones show.
        var marker = safety.CurrentValue.TestMarker;
        if (campaign.Kind == CampaignKind.Test && !title.StartsWith(marker, StringComparison.Ordinal))
            title = marker + title;
        // A campaign with a verification code (options.verifyCode) pushes it: at the end of the body, as an SMS
        // shows it, and as the page's address in the data for the app to open. Its SMS text carries it, or,
        // pushing alone, the campaign itself.
        var carrier = VerificationSuffix.Find(campaign.SmsText) is not null ? campaign.SmsText : definition?.PushVerification;
        if (VerificationSuffix.Find(carrier) is { } suffix)
            body += suffix.Suffix;

        // A topic delivery (an app on topics, LaunchCampaignConsumer) is one notification to the topic its
        // recipient names; any other is a device, by id.
        var devices = messages.Where(m => !PushTopics.IsTopic(m.Recipient))
            .ToDictionary(m => m.Id, m => long.Parse(m.Recipient, CultureInfo.InvariantCulture));
        var stored = await targets.ProtectedTokensAsync(devices.Values.Distinct().ToList(), ct);
        var outgoing = new List<OutgoingMessage>(messages.Count);
        var unsendable = new List<SubmitResult>();
        var deviceOf = new Dictionary<string, long>(messages.Count, StringComparer.Ordinal);
        foreach (var message in messages)
        {
            if (!devices.TryGetValue(message.Id, out var device))
            {
                outgoing.Add(new OutgoingMessage(message.Id.ToString(CultureInfo.InvariantCulture), message.Recipient, body, SmsEncoding.Ucs2, 1) { Topic = true });
                continue;
            }
            if (!stored.TryGetValue(device, out var protectedToken))
            {
                unsendable.Add(new SubmitResult(message.Id, false, null, DeviceGone));
                continue;
            }
            string token;
            try
            {
                token = tokens.Unprotect(protectedToken);
            }
            catch (CryptographicException)
            {
                unsendable.Add(new SubmitResult(message.Id, false, null, TokenUnreadable));
                continue;
            }
            var id = message.Id.ToString(CultureInfo.InvariantCulture);
            deviceOf[id] = device;
            outgoing.Add(new OutgoingMessage(id, token, body, SmsEncoding.Ucs2, 1));
        }
        var submit = new CarrierBatch($"{batch.CampaignId}-{batch.Id}", "", outgoing, null)
        {
            Kind = campaign.Kind,
            ExpiresAt = campaign.ExpiresAt is { } until ? DateTimeOffset.FromUnixTimeMilliseconds(until) : null,
            Title = title,
            Link = VerificationSuffix.Link(carrier),
            // One per campaign: a phone that was offline shows the campaign's notification once.
            CollapseKey = campaign.Id,
            Campaign = campaign.Id,
        };
        return new PushPrepared(submit, unsendable, deviceOf);
    }

    /// <summary>Deletes the devices whose token the provider reported dead (<see cref="MessageResult.TokenGone"/>).</summary>
    /// <returns>The devices pruned.</returns>
    public Task<int> PruneAsync(PushPrepared prepared, IReadOnlyList<MessageResult> answers, CancellationToken ct)
    {
        var gone = answers.Where(a => a.TokenGone && prepared.DeviceOf.ContainsKey(a.Id)).Select(a => prepared.DeviceOf[a.Id]).Distinct().ToList();
        return targets.PruneAsync(gone, ct);
    }
}
