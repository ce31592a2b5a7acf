using System.Text;
using Loa.CarrierAdapters;
using Loa.CarrierAdapters.Encoding;
using Loa.CarrierAdapters.Routing;
using Loa.Storage.Replies;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Loa.Dispatcher.Replies;

/// <summary><c>Loa:Replies</c>: what a subscriber's reply may mean.</summary>
public sealed class ReplyOptions
{
    /// <summary>
    /// Replies that opt the number out of awareness messages, compared without accents, case or
    /// surrounding punctuation, as the whole reply or its first words ("TU CHOI" matches "Từ chối!").
    /// Replaces, not extends, the default when configured.
    /// </summary>
    public string[] OptOutKeywords { get; set; } = ["TC", "TU CHOI", "STOP", "HUY"];
}

/// <summary>
/// A subscriber's reply: kept, and an opt-out when it is a keyword. Logs carry the masked number
/// only; the text is not logged (it can carry whatever a subscriber types).
/// </summary>
public sealed class ReplyInbox(ReplyStore store, IOptions<ReplyOptions> options, ILogger<ReplyInbox> logger) : ICarrierReplySink
{
    public async Task AcceptAsync(string carrierId, CarrierReply reply, CancellationToken cancellationToken)
    {
        var optOut = IsOptOut(reply.Text, options.Value.OptOutKeywords);
        await store.RecordAsync(carrierId, reply.From, reply.To, reply.Text, optOut, reply.ReceivedAt, cancellationToken);
        logger.LogInformation("Reply from {From} over {Carrier} kept{OptOut}", Msisdn.Mask(reply.From), carrierId, optOut ? " as an opt-out" : "");
    }

    public static bool IsOptOut(string text, IEnumerable<string> keywords)
    {
        var said = Plain(text);
        foreach (var keyword in keywords)
        {
            var plain = Plain(keyword);
            if (plain.Length > 0 && (said == plain || said.StartsWith(plain + " ", StringComparison.Ordinal)))
                return true;
        }
        return false;
    }

    /// <summary>Without accents, in capitals, words separated by one space, no punctuation.</summary>
    private static string Plain(string text)
    {
        var stripped = Unaccent.Strip(text.Normalize(NormalizationForm.FormC)).ToUpperInvariant();
        var plain = new StringBuilder(stripped.Length);
        foreach (var c in stripped)
        {
            if (char.IsLetterOrDigit(c))
                plain.Append(c);
            else if (plain.Length > 0 && plain[^1] != ' ')
                plain.Append(' ');
        }
        return plain.ToString().TrimEnd();
    }
}
