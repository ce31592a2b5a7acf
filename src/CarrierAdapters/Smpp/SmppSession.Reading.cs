using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace Loa.CarrierAdapters.Smpp;

/// <summary>
/// The bind's incoming side: the read loop, the SMSC's own requests (enquire_link, unbind, deliver_sm),
/// deliver_sm kept in groups off the read loop, and the enquire_link sent when the link is idle.
/// </summary>
public sealed partial class SmppSession
{
    private async Task ReadLoopAsync()
    {
        var reason = "the SMSC closed the connection";
        try
        {
            while (!_closing.IsCancellationRequested)
            {
                byte[]? frame;
                frame = await SmppCodec.ReadFrameAsync(_incoming, _closing.Token).ConfigureAwait(false);
                if (frame is null)
                {
                    // Our own unbind was answered and the SMSC hung up, as it should.
                    if (_unbinding)
                        reason = "unbound";
                    break;
                }
                Volatile.Write(ref _lastReceived, _time.GetTimestamp());
                SmppPdu pdu;
                try
                {
                    pdu = SmppCodec.Decode(frame);
                }
                catch (SmppFormatException ex)
                {
                    _logger.LogWarning("SMPP {Session}: unreadable PDU, answered with generic_nack {Status}: {Reason}", _name, SmppStatus.Name(ex.Status), ex.Message);
                    Send(new SmppPdu(SmppCommand.GenericNack, ex.Status, ex.Sequence, SmppBody.Empty));
                    continue;
                }
                if (await OnPduAsync(pdu).ConfigureAwait(false) is { } stop)
                {
                    reason = stop;
                    break;
                }
            }
        }
        catch (SmppFormatException ex)
        {
            reason = $"unframeable data from the SMSC: {ex.Message}";
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or OperationCanceledException or SocketException)
        {
            reason = _closing.IsCancellationRequested ? ClosedReason() : $"connection lost: {ex.Message}";
        }
        await CloseAsync(reason).ConfigureAwait(false);
    }

    /// <returns>Why to stop reading, or null to go on.</returns>
    private async Task<string?> OnPduAsync(SmppPdu pdu)
    {
        if (SmppCommands.IsResponse(pdu.Command) && pdu.Command != SmppCommand.GenericNack
            || pdu.Command == SmppCommand.GenericNack && _pending.ContainsKey(pdu.Sequence))
        {
            if (_pending.TryGetValue(pdu.Sequence, out var pending))
            {
                if (pending.Command == SmppCommand.SubmitSm)
                {
                    var answered = new SmppSubmitAnswer.Answered(pdu.Status, (pdu.Body as MessageIdBody)?.MessageId ?? "");
                    pending.OnAnswered?.Invoke(answered);
                    Complete(pdu.Sequence, pending, answered);
                }
                else
                    pending.Response.TrySetResult(pdu);
            }
            else
            {
                _logger.LogDebug("SMPP {Session}: {Pdu} matches no request (answered after its timeout)", _name, pdu);
            }
            return null;
        }
        switch (pdu.Command)
        {
            case SmppCommand.GenericNack:
                _logger.LogWarning("SMPP {Session}: generic_nack {Status} for sequence {Sequence}, which we are not waiting on", _name, SmppStatus.Name(pdu.Status), pdu.Sequence);
                return null;
            case SmppCommand.EnquireLink:
                Send(pdu.Answer(SmppStatus.Ok));
                return null;
            case SmppCommand.Unbind:
                _unbinding = true;
                // The unbind_resp leaves before the connection is closed behind it.
                if (_outbox.TryQueue(pdu.Answer(SmppStatus.Ok), null, out var written))
                    await written.ConfigureAwait(false);
                return "the SMSC unbound";
            case SmppCommand.DeliverSm:
                await _delivers.Writer.WriteAsync(pdu, _closing.Token).ConfigureAwait(false);
                return null;
            default:
                Send(new SmppPdu(SmppCommand.GenericNack, SmppStatus.InvalidCommandId, pdu.Sequence, SmppBody.Empty));
                return null;
        }
    }

    /// <summary>
    /// deliver_sm off the read loop, in order: a slow receipt store must not hold up submit responses.
    /// Whatever has arrived while the last group was being kept is kept as one group: one receipt
    /// transaction per deliver_sm held receipts to about 2,000 a second, and through this bounded
    /// channel, the submits too. Each is acknowledged only after its group is kept.
    /// </summary>
    private async Task DeliverLoopAsync()
    {
        var group = new List<SmppPdu>(MaxDeliverGroup);
        var bodies = new List<ShortMessageBody>(MaxDeliverGroup);
        try
        {
            while (await _delivers.Reader.WaitToReadAsync(_closing.Token).ConfigureAwait(false))
            {
                group.Clear();
                bodies.Clear();
                while (group.Count < MaxDeliverGroup && _delivers.Reader.TryRead(out var pdu))
                {
                    group.Add(pdu);
                    if (pdu.Body is ShortMessageBody body)
                        bodies.Add(body);
                }
                var status = SmppStatus.Ok;
                if (_inbound is not null && bodies.Count > 0)
                {
                    try
                    {
                        status = await _inbound.DeliverAsync(bodies, _closing.Token).ConfigureAwait(false);
                    }
                    catch (Exception ex) when (ex is not OperationCanceledException)
                    {
                        // Not kept: the SMSC keeps them and delivers them again, rather than us acknowledging a loss.
                        _logger.LogError(ex, "SMPP {Session}: {Count} deliver_sm not kept, asking for redelivery", _name, bodies.Count);
                        status = SmppStatus.TemporaryAppError;
                    }
                }
                // The group's answers go out together, and the next group is read once they have left.
                Task? written = null;
                foreach (var pdu in group)
                {
                    if (!_outbox.TryQueue(pdu.Answer(status, new MessageIdBody("")), null, out var queued))
                        return;
                    written = queued;
                }
                if (written is not null)
                    await written.ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or ObjectDisposedException)
        {
            // The connection ended; an unacknowledged deliver_sm is redelivered by the SMSC on the next bind.
        }
    }

    private async Task LinkCheckLoopAsync()
    {
        var idle = TimeSpan.FromSeconds(Math.Max(1, _options.EnquireLinkSeconds));
        try
        {
            while (!_closing.IsCancellationRequested)
            {
                var quiet = _time.GetElapsedTime(Volatile.Read(ref _lastReceived));
                if (quiet < idle)
                {
                    await Task.Delay(idle - quiet, _time, _closing.Token).ConfigureAwait(false);
                    continue;
                }
                if (await RequestAsync(SmppPdu.Request(SmppCommand.EnquireLink), _closing.Token).ConfigureAwait(false) is null)
                {
                    await CloseAsync($"no enquire_link_resp within {ResponseTimeout.TotalSeconds:0} s").ConfigureAwait(false);
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }
}
