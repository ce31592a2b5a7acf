using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Loa.CarrierAdapters;
using Loa.CarrierAdapters.Smpp;

namespace Loa.CarrierSimulators.Smsc;

/// <summary>One ESME's connection to the simulated SMSC: its bind, its submits and the receipts written to it.</summary>
public sealed partial class SmscSimulator
{
    private sealed class Connection(SmscSimulator smsc, int id, TcpClient client, Stream stream)
    {
        private readonly Stream _stream = stream;
        // Answers, receipts and the rest written together by one writer, as the client's session writes.
        private readonly SmppOutbox<object> _outbox = new(stream);
        private readonly CancellationTokenSource _cut = new();
        // deliver_sm written here and not yet answered, by sequence: whoever removes one owns it (its
        // answer, the failed write, or the cut that hands it back to the SMSC to deliver again).
        private readonly ConcurrentDictionary<uint, ShortMessageBody> _unacknowledged = new();
        private int _sequence;
        private int _inFlight;
        private volatile bool _bound;
        private volatile bool _receives;

        public bool Bound => _bound;

        /// <summary>The system_id it bound with: deliver_sm for an account go to that account's binds only.</summary>
        public string? SystemId { get; private set; }

        /// <summary>The bind_* command it bound with.</summary>
        public SmppCommand BoundAs { get; private set; }

        /// <summary>Bound as a transceiver or receiver, and not cut: deliver_sm can go here.</summary>
        public bool CanTakeReceipts => _bound && _receives && Volatile.Read(ref _cutDone) == 0;

        /// <summary>Bound as a transceiver or transmitter: submit_sm is taken here.</summary>
        public bool CanSubmit => _bound && BoundAs != SmppCommand.BindReceiver;

        public uint NextSequence() => (uint)Interlocked.Increment(ref _sequence);

        private int _cutDone;

        public void Cut()
        {
            if (Interlocked.Exchange(ref _cutDone, 1) != 0)
                return;
            if (_bound)
                smsc.Stats.BindClosed();
            try
            {
                _cut.Cancel();
            }
            catch (ObjectDisposedException)
            {
            }
            // Linger 0 sends a reset, as a crashed SMSC or a firewall dropping the flow would look.
            try
            {
                client.Client.LingerState = new LingerOption(true, 0);
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
            }
            _outbox.Close("the connection was cut");
            client.Dispose();
            // A real SMSC keeps a deliver_sm until it is acknowledged, and gives it to the account's next bind.
            foreach (var sequence in _unacknowledged.Keys)
            {
                if (_unacknowledged.TryRemove(sequence, out var body))
                    smsc.Redeliver(SystemId, body);
            }
            try
            {
                // Frees TLS's own state; the socket under it is closed already.
                _stream.Dispose();
            }
            catch (Exception ex) when (ex is IOException or ObjectDisposedException or SocketException)
            {
            }
        }

        public async Task RunAsync()
        {
            // As the client's session reads: one receive call for whatever PDUs have arrived, not two per PDU.
            var incoming = new BufferedStream(_stream, SmppCodec.ReadBufferSize);
            _ = Task.Run(() => _outbox.RunAsync(null, (_, _) => Cut(), _cut.Token));
            try
            {
                while (!_cut.IsCancellationRequested)
                {
                    var frame = await SmppCodec.ReadFrameAsync(incoming, _cut.Token).ConfigureAwait(false);
                    if (frame is null)
                        break;
                    SmppPdu pdu;
                    try
                    {
                        pdu = SmppCodec.Decode(frame);
                    }
                    catch (SmppFormatException ex)
                    {
                        await SendAsync(new SmppPdu(SmppCommand.GenericNack, ex.Status, ex.Sequence, SmppBody.Empty)).ConfigureAwait(false);
                        continue;
                    }
                    if (!await OnPduAsync(pdu).ConfigureAwait(false))
                        break;
                }
            }
            catch (Exception ex) when (ex is IOException or ObjectDisposedException or OperationCanceledException or SocketException or SmppFormatException)
            {
            }
            Cut();
        }

        /// <returns>False to close the connection.</returns>
        private async Task<bool> OnPduAsync(SmppPdu pdu)
        {
            switch (pdu.Command)
            {
                case SmppCommand.BindTransceiver or SmppCommand.BindTransmitter or SmppCommand.BindReceiver:
                    await BindAsync(pdu).ConfigureAwait(false);
                    return true;
                case SmppCommand.SubmitSm:
                    OnSubmit(pdu);
                    return true;
                case SmppCommand.EnquireLink:
                    smsc.Stats.EnquireLinkReceived();
                    await SendAsync(pdu.Answer(SmppStatus.Ok)).ConfigureAwait(false);
                    return true;
                case SmppCommand.Unbind:
                    smsc.Stats.UnbindReceived();
                    await SendAsync(pdu.Answer(SmppStatus.Ok)).ConfigureAwait(false);
                    return false;
                case SmppCommand.EnquireLinkResp:
                    smsc.Stats.EnquireLinkRespReceived();
                    return true;
                case SmppCommand.UnbindResp:
                    smsc.Stats.UnbindRespReceived();
                    return false;
                case SmppCommand.DeliverSmResp:
                    // Untracked: one a test wrote straight to the clients.
                    var tracked = _unacknowledged.TryRemove(pdu.Sequence, out var delivered);
                    if (pdu.Status == SmppStatus.Ok)
                        smsc.Stats.ReceiptAcknowledged();
                    else if (tracked)
                        _ = smsc.RedeliverLaterAsync(SystemId, delivered!); // the client could not keep it: asked again later
                    return true;
                case SmppCommand.GenericNack:
                    smsc.Stats.NackReceived(pdu.Status);
                    return true;
                default:
                    await SendAsync(new SmppPdu(SmppCommand.GenericNack, SmppStatus.InvalidCommandId, pdu.Sequence, SmppBody.Empty)).ConfigureAwait(false);
                    return true;
            }
        }

        private async Task BindAsync(SmppPdu pdu)
        {
            var bind = (BindBody)pdu.Body;
            var behaviour = smsc.Behaviour;
            var status = _bound ? SmppStatus.AlreadyBound
                : bind.SystemId != behaviour.SystemId ? SmppStatus.InvalidSystemId
                : bind.Password != behaviour.Password ? SmppStatus.InvalidPassword
                : SmppStatus.Ok;
            if (status == SmppStatus.Ok)
            {
                _receives = pdu.Command is SmppCommand.BindTransceiver or SmppCommand.BindReceiver;
                SystemId = bind.SystemId;
                BoundAs = pdu.Command;
                _bound = true;
                smsc.Stats.BindAccepted();
            }
            else
            {
                smsc.Stats.BindRefused();
            }
            await SendAsync(pdu.Answer(status, status == SmppStatus.Ok ? new BindRespBody("LOASMSC") : null)).ConfigureAwait(false);
            if (status == SmppStatus.Ok && _receives)
                _ = smsc.FlushHeldAsync(SystemId);
        }

        /// <summary>Writes a deliver_sm and keeps it until its deliver_sm_resp.</summary>
        /// <returns>False when it was not written and is still the caller's to place; true once written, or handed back for redelivery by a cut.</returns>
        public async Task<bool> DeliverAsync(ShortMessageBody body)
        {
            var sequence = NextSequence();
            _unacknowledged[sequence] = body;
            try
            {
                await SendAsync(new SmppPdu(SmppCommand.DeliverSm, SmppStatus.Ok, sequence, body)).ConfigureAwait(false);
                smsc.Stats.DeliverSmWritten(BoundAs);
                return true;
            }
            catch (Exception ex) when (ex is OperationCanceledException or IOException or ObjectDisposedException or SocketException)
            {
                return !_unacknowledged.TryRemove(sequence, out _);
            }
        }

        private void OnSubmit(SmppPdu pdu)
        {
            var behaviour = smsc.Behaviour;
            smsc.Stats.SubmitReceived(smsc._time.GetUtcNow().ToUnixTimeSeconds());
            if (behaviour.DropAfterSubmits > 0
                && Interlocked.Increment(ref smsc._submitsSinceBehaviour) > behaviour.DropAfterSubmits
                && Interlocked.Exchange(ref smsc._dropDone, 1) == 0)
            {
                smsc.Stats.ConnectionDropped();
                Cut();
                return;
            }
            var plan = smsc.Plan(behaviour);
            smsc.Stats.Entered(id, Interlocked.Increment(ref _inFlight));
            _ = AnswerAsync(pdu, behaviour, plan);
        }

        private void Left()
        {
            Interlocked.Decrement(ref _inFlight);
            smsc.Stats.Left();
        }

        private async Task AnswerAsync(SmppPdu pdu, SmscBehaviour behaviour, SubmitPlan plan)
        {
            var answered = false;
            try
            {
                if (behaviour.Latency > TimeSpan.Zero)
                    await Task.Delay(behaviour.Latency, smsc._time, _cut.Token).ConfigureAwait(false);
                // A receiver bind may not submit (SMPP 3.4 §2.3): the SMSC answers as to one not bound.
                if (!CanSubmit)
                {
                    answered = true;
                    Left();
                    smsc.Stats.Refused(SmppStatus.IncorrectBindStatus);
                    await SendAsync(pdu.Answer(SmppStatus.IncorrectBindStatus)).ConfigureAwait(false);
                    return;
                }
                var submit = (ShortMessageBody)pdu.Body;
                var status = smsc.OverRate(behaviour.MaxSubmitsPerSecond) ? SmppStatus.Throttled : plan.Fault;
                if (status != SmppStatus.Ok)
                {
                    answered = true;
                    Left();
                    smsc.Stats.Refused(status);
                    await SendAsync(pdu.Answer(status)).ConfigureAwait(false);
                    return;
                }

                var messageId = smsc.NextMessageId(behaviour);
                smsc.Stats.SubmitAccepted();
                var completed = smsc.Reassemble(submit, messageId, behaviour);
                var receiptId = behaviour.ReceiptPerMessage ? completed : messageId;
                var receipt = plan.Receipt;
                Receipt? pending = null;
                if (receiptId is not null && behaviour.ReceiptDelay is not null && AsksForReceipt(submit.RegisteredDelivery, receipt.State))
                {
                    if (receipt.Missing)
                        smsc.Stats.ReceiptWithheld();
                    else
                        pending = new Receipt(smsc.ReceiptBody(submit, receiptId, receipt.State, behaviour), receipt.State, receipt.Duplicate);
                }

                var timing = receipt.Timing;
                if (pending is not null && timing == SmscReceiptTiming.Early)
                {
                    if (await smsc.TryWriteReceiptAsync(pending.Body, this).ConfigureAwait(false))
                    {
                        smsc.Stats.ReceiptSent(pending.State, timing);
                        if (pending.Duplicate)
                            _ = smsc.DuplicateAsync(pending, this, behaviour.DuplicateReceiptDelay);
                        pending = null;
                    }
                    else
                    {
                        // No bind takes deliver_sm yet: it goes the usual way, after the answer.
                        timing = SmscReceiptTiming.Usual;
                    }
                }

                // Left before the answer leaves: once the client has it, it may send the next submit at once.
                answered = true;
                Left();
                await SendAsync(pdu.Answer(status, new MessageIdBody(messageId))).ConfigureAwait(false);
                if (pending is not null)
                {
                    var delay = timing == SmscReceiptTiming.Late ? receipt.LateDelay : behaviour.ReceiptDelay!.Value;
                    smsc.ScheduleReceipt(pending, this, delay, timing, behaviour.DuplicateReceiptDelay);
                }
            }
            catch (Exception ex) when (ex is OperationCanceledException or IOException or ObjectDisposedException or SocketException)
            {
            }
            finally
            {
                if (!answered)
                    Left();
            }
        }

        /// <summary>Completes once the PDU has left; fails if the connection is cut first.</summary>
        public Task SendAsync(SmppPdu pdu) => SendRawAsync(SmppCodec.Encode(pdu));

        public Task SendRawAsync(byte[] octets) =>
            _outbox.TryQueue(octets, null, out var written) ? written : Task.FromException(new ObjectDisposedException(ToString(), "the connection was cut"));

        public override string ToString() => $"connection {id}";
    }
}
