using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Loa.CarrierAdapters;
using Loa.CarrierAdapters.Smpp;

namespace Loa.CarrierSimulators.Smsc;

/// <summary>
/// A fake SMSC on 127.0.0.1 and a free port: binds (checking system_id and password), answers
/// submit_sm with hex message ids, puts concatenated parts back together, and sends delivery receipts
/// as deliver_sm, with the fault knobs of <see cref="SmscBehaviour"/>. It uses Loa's own codec: the
/// codec is pinned by byte-level tests on its own, and this checks the session and adapter above it.
/// </summary>
public sealed class SmscSimulator : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stopping = new();
    private readonly ConcurrentDictionary<int, Connection> _connections = new();
    private readonly ConcurrentDictionary<(string Source, string Destination, int Reference, int Total), Assembly> _assemblies = new();
    private readonly Lock _rateGate = new();
    private readonly Random _random;
    private readonly Task _accepting;
    private SmscBehaviour _behaviour;
    private long _submitsSinceBehaviour;
    private int _dropDone;
    private long _nextMessageId = 0x10000;
    private int _nextConnection;
    private long _rateSecond;
    private int _rateCount;

    private SmscSimulator(SmscBehaviour behaviour, int seed)
    {
        _behaviour = behaviour;
        _random = new Random(seed);
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _accepting = Task.Run(AcceptLoopAsync);
    }

    public static SmscSimulator Start(SmscBehaviour? behaviour = null, int seed = 16) => new(behaviour ?? new SmscBehaviour(), seed);

    public string Host => "127.0.0.1";

    public int Port { get; }

    public SmscStats Stats { get; } = new();

    public SmscBehaviour Behaviour => Volatile.Read(ref _behaviour);

    /// <summary>Connections open now (bound or not).</summary>
    public int OpenConnections => _connections.Count;

    /// <summary>Replaces the behaviour; a drop knob counts submits from now and fires once.</summary>
    public void SetBehaviour(SmscBehaviour behaviour)
    {
        ArgumentNullException.ThrowIfNull(behaviour);
        Interlocked.Exchange(ref _submitsSinceBehaviour, 0);
        Interlocked.Exchange(ref _dropDone, 0);
        Volatile.Write(ref _behaviour, behaviour);
    }

    /// <summary>Sends a request (enquire_link, unbind, generic_nack, …) to every bound client, with a fresh sequence.</summary>
    public async Task SendToClientsAsync(SmppPdu pdu)
    {
        foreach (var connection in _connections.Values.Where(c => c.Bound))
            await connection.SendAsync(pdu with { Sequence = connection.NextSequence() }).ConfigureAwait(false);
    }

    /// <summary>Raw octets to every bound client: a PDU our codec would not write (an unknown command id).</summary>
    public async Task SendRawToClientsAsync(byte[] octets)
    {
        foreach (var connection in _connections.Values.Where(c => c.Bound))
            await connection.SendRawAsync(octets).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        _listener.Stop();
        foreach (var connection in _connections.Values)
            connection.Cut();
        try
        {
            await _accepting.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or OperationCanceledException)
        {
        }
        _stopping.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stopping.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException or OperationCanceledException)
            {
                return;
            }
            client.NoDelay = true;
            var id = Interlocked.Increment(ref _nextConnection);
            var connection = new Connection(this, id, client);
            _connections[id] = connection;
            _ = Task.Run(async () =>
            {
                await connection.RunAsync().ConfigureAwait(false);
                _connections.TryRemove(id, out _);
            });
        }
    }

    private double Draw()
    {
        lock (_random)
            return _random.NextDouble();
    }

    private string NextMessageId() => Interlocked.Increment(ref _nextMessageId).ToString("X", CultureInfo.InvariantCulture);

    private bool OverRate(int max)
    {
        if (max <= 0)
            return false;
        var second = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        lock (_rateGate)
        {
            if (second != _rateSecond)
            {
                _rateSecond = second;
                _rateCount = 0;
            }
            if (_rateCount >= max)
                return true;
            _rateCount++;
            return false;
        }
    }

    private uint Verdict(SmscBehaviour behaviour)
    {
        if (OverRate(behaviour.MaxSubmitsPerSecond))
            return SmppStatus.Throttled;
        if (behaviour.QueueFullRatio > 0 && Draw() < behaviour.QueueFullRatio)
            return SmppStatus.MessageQueueFull;
        if (behaviour.ErrorRatio > 0 && Draw() < behaviour.ErrorRatio)
            return behaviour.ErrorStatus;
        return SmppStatus.Ok;
    }

    private void Reassemble(ShortMessageBody submit, string messageId, SmscBehaviour behaviour)
    {
        var read = SmppText.Read(submit, behaviour.PackedGsm7);
        var encoding = submit.DataCoding == ShortMessageBody.CodingUcs2 ? SmsEncoding.Ucs2 : SmsEncoding.Gsm7;
        if (read.Concat is not { Total: > 1 } concat)
        {
            Stats.MessageComplete(new SmscMessage(submit.SourceAddress, submit.DestinationAddress, encoding, read.Text, 1, [messageId]));
            return;
        }
        var key = (submit.SourceAddress, submit.DestinationAddress, concat.Reference, concat.Total);
        var assembly = _assemblies.GetOrAdd(key, _ => new Assembly(concat.Total));
        if (assembly.Add(concat.Number, read.Text, messageId) is { } whole && _assemblies.TryRemove(key, out _))
            Stats.MessageComplete(new SmscMessage(submit.SourceAddress, submit.DestinationAddress, encoding, whole.Text, concat.Total, whole.Ids));
    }

    private sealed class Assembly(int total)
    {
        private readonly string?[] _texts = new string?[total];
        private readonly string?[] _ids = new string?[total];
        private int _count;

        public (string Text, IReadOnlyList<string> Ids)? Add(int number, string text, string id)
        {
            lock (this)
            {
                if (number < 1 || number > _texts.Length || _texts[number - 1] is not null)
                    return null;
                _texts[number - 1] = text;
                _ids[number - 1] = id;
                return ++_count == _texts.Length ? (string.Concat(_texts), _ids.Select(i => i!).ToList()) : null;
            }
        }
    }

    private sealed class Connection(SmscSimulator smsc, int id, TcpClient client)
    {
        private readonly NetworkStream _stream = client.GetStream();
        private readonly SemaphoreSlim _write = new(1, 1);
        private readonly CancellationTokenSource _cut = new();
        private int _sequence;
        private volatile bool _bound;
        private bool _transceiver;

        public bool Bound => _bound;

        public uint NextSequence() => (uint)Interlocked.Increment(ref _sequence);

        private int _cutDone;

        public void Cut()
        {
            if (Interlocked.Exchange(ref _cutDone, 1) != 0)
                return;
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
            client.Dispose();
        }

        public async Task RunAsync()
        {
            try
            {
                while (!_cut.IsCancellationRequested)
                {
                    var frame = await SmppCodec.ReadFrameAsync(_stream, _cut.Token).ConfigureAwait(false);
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
                    if (pdu.Status == SmppStatus.Ok)
                        smsc.Stats.ReceiptAcknowledged();
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
                _bound = true;
                _transceiver = pdu.Command == SmppCommand.BindTransceiver;
                smsc.Stats.BindAccepted();
            }
            else
            {
                smsc.Stats.BindRefused();
            }
            await SendAsync(pdu.Answer(status, status == SmppStatus.Ok ? new BindRespBody("LOASMSC") : null)).ConfigureAwait(false);
        }

        private void OnSubmit(SmppPdu pdu)
        {
            var behaviour = smsc.Behaviour;
            smsc.Stats.SubmitReceived();
            if (behaviour.DropAfterSubmits > 0
                && Interlocked.Increment(ref smsc._submitsSinceBehaviour) > behaviour.DropAfterSubmits
                && Interlocked.Exchange(ref smsc._dropDone, 1) == 0)
            {
                smsc.Stats.ConnectionDropped();
                Cut();
                return;
            }
            smsc.Stats.Entered();
            _ = AnswerAsync(pdu, behaviour);
        }

        private async Task AnswerAsync(SmppPdu pdu, SmscBehaviour behaviour)
        {
            var answered = false;
            try
            {
                if (behaviour.Latency > TimeSpan.Zero)
                    await Task.Delay(behaviour.Latency, _cut.Token).ConfigureAwait(false);
                if (!_bound)
                {
                    answered = true;
                    smsc.Stats.Left();
                    await SendAsync(pdu.Answer(SmppStatus.IncorrectBindStatus)).ConfigureAwait(false);
                    return;
                }
                var submit = (ShortMessageBody)pdu.Body;
                var status = smsc.Verdict(behaviour);
                var messageId = status == SmppStatus.Ok ? smsc.NextMessageId() : "";
                switch (status)
                {
                    case SmppStatus.Ok:
                        smsc.Stats.SubmitAccepted();
                        smsc.Reassemble(submit, messageId, behaviour);
                        break;
                    case SmppStatus.Throttled:
                        smsc.Stats.WasThrottled();
                        break;
                    case SmppStatus.MessageQueueFull:
                        smsc.Stats.WasQueueFull();
                        break;
                    default:
                        smsc.Stats.WasError();
                        break;
                }
                // Left before the answer leaves: once the client has it, it may send the next submit at once.
                answered = true;
                smsc.Stats.Left();
                await SendAsync(pdu.Answer(status, status == SmppStatus.Ok ? new MessageIdBody(messageId) : null)).ConfigureAwait(false);
                if (status == SmppStatus.Ok && _transceiver && (submit.RegisteredDelivery & 0x03) != 0 && behaviour.ReceiptDelay is { } delay)
                    _ = ReceiptAsync(submit, messageId, behaviour, delay);
            }
            catch (Exception ex) when (ex is OperationCanceledException or IOException or ObjectDisposedException or SocketException)
            {
            }
            finally
            {
                if (!answered)
                    smsc.Stats.Left();
            }
        }

        private async Task ReceiptAsync(ShortMessageBody submit, string messageId, SmscBehaviour behaviour, TimeSpan delay)
        {
            try
            {
                await Task.Delay(delay, _cut.Token).ConfigureAwait(false);
                var textId = behaviour.ReceiptIdInDecimal
                    ? ulong.Parse(messageId, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture).ToString(CultureInfo.InvariantCulture)
                    : messageId;
                var now = DateTime.UtcNow;
                var receipt = new SmppReceipt(textId, behaviour.ReceiptState,
                    behaviour.ReceiptState == SmppMessageState.Delivered ? null : "err:001", now, now, 1, behaviour.ReceiptState == SmppMessageState.Delivered ? 1 : 0);
                var body = new ShortMessageBody
                {
                    SourceTon = submit.DestTon,
                    SourceNpi = submit.DestNpi,
                    SourceAddress = submit.DestinationAddress,
                    DestTon = submit.SourceTon,
                    DestNpi = submit.SourceNpi,
                    DestinationAddress = submit.SourceAddress,
                    EsmClass = ShortMessageBody.DeliveryReceiptType,
                    ShortMessage = behaviour.ReceiptForm == SmscReceiptForm.Tlv ? [] : System.Text.Encoding.ASCII.GetBytes(SmppReceipts.Format(receipt)),
                    Tlvs = behaviour.ReceiptForm == SmscReceiptForm.Text ? [] :
                    [
                        SmppTlv.CString(SmppTlv.ReceiptedMessageId, messageId),
                        SmppTlv.Byte(SmppTlv.MessageState, (byte)behaviour.ReceiptState),
                    ],
                };
                await SendAsync(new SmppPdu(SmppCommand.DeliverSm, SmppStatus.Ok, NextSequence(), body)).ConfigureAwait(false);
                smsc.Stats.ReceiptSent();
            }
            catch (Exception ex) when (ex is OperationCanceledException or IOException or ObjectDisposedException or SocketException)
            {
            }
        }

        public Task SendAsync(SmppPdu pdu) => SendRawAsync(SmppCodec.Encode(pdu));

        public async Task SendRawAsync(byte[] octets)
        {
            await _write.WaitAsync(_cut.Token).ConfigureAwait(false);
            try
            {
                await _stream.WriteAsync(octets, _cut.Token).ConfigureAwait(false);
            }
            finally
            {
                _write.Release();
            }
        }

        public override string ToString() => $"connection {id}";
    }
}
