using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using Loa.CarrierAdapters;
using Loa.CarrierAdapters.Smpp;

namespace Loa.CarrierSimulators.Smsc;

/// <summary>
/// A fake SMSC on 127.0.0.1 and a free port: binds (checking system_id and password), answers
/// submit_sm with hex message ids, puts concatenated parts back together, and sends delivery receipts
/// as deliver_sm, with the fault knobs of <see cref="SmscBehaviour"/>. It uses Loa's own codec: the
/// codec is pinned by byte-level tests on its own, and this checks the session and adapter above it.
/// Every random draw of a submit (faults, and its receipt's fate) is made as the submit is read, in a
/// fixed order, so with one bind and a seed a run repeats whatever the latency.
/// </summary>
public sealed partial class SmscSimulator : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private static readonly TimeSpan HandshakeTimeout = TimeSpan.FromSeconds(10);

    private readonly CancellationTokenSource _stopping = new();
    private readonly CancellationToken _stoppingToken;
    private readonly TimeProvider _time;
    private readonly Lock _drawGate = new();
    private readonly ConcurrentDictionary<int, Connection> _connections = new();
    private readonly ConcurrentDictionary<(string Source, string Destination, int Reference, int Total), Assembly> _assemblies = new();
    private readonly Lock _rateGate = new();
    private readonly Task _accepting;
    private readonly Lazy<SmscCertificate> _certificate;
    // Receipts waiting for their time, soonest first, under one timer: a Task.Delay per receipt was a
    // timer and an async wait per submit, most of them 100 ms long and firing at thousands a second.
    private readonly PriorityQueue<DueReceipt, DateTimeOffset> _receiptsDue = new();
    private readonly Lock _receiptGate = new();
    private readonly ITimer _receiptTimer;
    private DateTimeOffset _receiptTimerAt = DateTimeOffset.MaxValue;
    private Random _random;
    private SmscBehaviour _behaviour;
    private long _submitsSinceBehaviour;
    private int _dropDone;
    private long _nextMessageId = 0x10000;
    private int _nextConnection;
    private long _rateSecond;
    private int _rateCount;

    private SmscSimulator(SmscBehaviour behaviour, int seed, TimeProvider time)
    {
        _behaviour = behaviour;
        _random = new Random(behaviour.Seed ?? seed);
        _time = time;
        _stoppingToken = _stopping.Token;
        _receiptTimer = time.CreateTimer(_ => OnReceiptsDue(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        _certificate = new Lazy<SmscCertificate>(() => SmscCertificate.Create(time));
        if (behaviour.Tls)
            _ = _certificate.Value;
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _accepting = Task.Run(AcceptLoopAsync);
    }

    /// <param name="seed">Seeds the random draws unless the behaviour has its own <see cref="SmscBehaviour.Seed"/>.</param>
    /// <param name="time">Clock for latencies, receipt delays and the per-second counts.</param>
    /// <exception cref="ArgumentException">The behaviour has <see cref="SmscBehaviour.Problems"/>.</exception>
    public static SmscSimulator Start(SmscBehaviour? behaviour = null, int seed = 16, TimeProvider? time = null)
    {
        behaviour ??= new SmscBehaviour();
        ThrowIfUnusable(behaviour);
        return new SmscSimulator(behaviour, seed, time ?? TimeProvider.System);
    }

    public string Host => "127.0.0.1";

    public int Port { get; }

    public SmscStats Stats { get; } = new();

    /// <summary>The certificate served when <see cref="SmscBehaviour.Tls"/> is on; made at start when it is, else on first ask.</summary>
    public SmscCertificate Certificate => _certificate.Value;

    public SmscBehaviour Behaviour => Volatile.Read(ref _behaviour);

    /// <summary>Connections open now (bound or not).</summary>
    public int OpenConnections => _connections.Count;

    /// <summary>
    /// Replaces the behaviour from the next submit read; a drop knob counts submits from now and fires
    /// once, and a <see cref="SmscBehaviour.Seed"/> restarts the draws.
    /// </summary>
    /// <exception cref="ArgumentException">The behaviour has <see cref="SmscBehaviour.Problems"/>.</exception>
    public void SetBehaviour(SmscBehaviour behaviour)
    {
        ThrowIfUnusable(behaviour);
        if (behaviour.Seed is { } seed)
        {
            lock (_drawGate)
                _random = new Random(seed);
        }
        Interlocked.Exchange(ref _submitsSinceBehaviour, 0);
        Interlocked.Exchange(ref _dropDone, 0);
        Volatile.Write(ref _behaviour, behaviour);
    }

    /// <summary>Sends a request (enquire_link, unbind, generic_nack, …) to every bound client, with a fresh sequence.</summary>
    public async Task SendToClientsAsync(SmppPdu pdu)
    {
        // A deliver_sm never goes to a transmitter, as a real SMSC would not send it there.
        foreach (var connection in _connections.Values.Where(c => c.Bound && (pdu.Command != SmppCommand.DeliverSm || c.CanTakeReceipts)))
            await connection.SendAsync(pdu with { Sequence = connection.NextSequence() }).ConfigureAwait(false);
    }

    /// <summary>Cuts, without a word, every connection bound with <paramref name="boundAs"/> (a firewall dropping the flow).</summary>
    /// <returns>How many were cut.</returns>
    public int CutBinds(SmppCommand boundAs)
    {
        var cut = 0;
        foreach (var connection in _connections.Values.Where(c => c.Bound && c.BoundAs == boundAs))
        {
            Stats.ConnectionDropped();
            connection.Cut();
            cut++;
        }
        return cut;
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
        await _receiptTimer.DisposeAsync().ConfigureAwait(false);
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
        if (_certificate.IsValueCreated)
            _certificate.Value.Dispose();
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
            Stats.ConnectionAccepted();
            var tls = Behaviour.Tls;
            _ = Task.Run(async () =>
            {
                // The handshake runs off the accept loop: a client that stalls in it must not hold up the next.
                if (await OpenAsync(client, tls).ConfigureAwait(false) is not { } stream)
                    return;
                var id = Interlocked.Increment(ref _nextConnection);
                var connection = new Connection(this, id, client, stream);
                _connections[id] = connection;
                await connection.RunAsync().ConfigureAwait(false);
                _connections.TryRemove(id, out _);
            });
        }
    }

    /// <returns>The connection's stream, TLS when asked; null when the handshake failed (the client is closed).</returns>
    private async Task<Stream?> OpenAsync(TcpClient client, bool tls)
    {
        if (!tls)
            return client.GetStream();
        var ssl = new SslStream(client.GetStream(), leaveInnerStreamOpen: false);
        using var handshake = CancellationTokenSource.CreateLinkedTokenSource(_stoppingToken);
        handshake.CancelAfter(HandshakeTimeout);
        try
        {
            await ssl.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
            {
                ServerCertificate = Certificate.Certificate,
                EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
            }, handshake.Token).ConfigureAwait(false);
            return ssl;
        }
        catch (Exception ex) when (ex is AuthenticationException or IOException or OperationCanceledException or ObjectDisposedException or SocketException)
        {
            Stats.TlsHandshakeFailed();
            await ssl.DisposeAsync().ConfigureAwait(false);
            client.Dispose();
            return null;
        }
    }

    private static void ThrowIfUnusable(SmscBehaviour behaviour)
    {
        ArgumentNullException.ThrowIfNull(behaviour);
        var problems = behaviour.Problems();
        if (problems.Count > 0)
            throw new ArgumentException(
                "The SMSC behaviour is not usable: " + string.Join(" ", problems.Select(p => $"{p.Property} {p.Problem}")), nameof(behaviour));
    }

    private SubmitPlan Plan(SmscBehaviour b)
    {
        lock (_drawGate)
        {
            var random = _random;
            var queueFull = b.QueueFullRatio > 0 && random.NextDouble() < b.QueueFullRatio;
            var error = b.ErrorRatio > 0 && random.NextDouble() < b.ErrorRatio ? b.DrawErrorStatus(random) : SmppStatus.Ok;
            var missing = b.MissingReceiptRatio > 0 && random.NextDouble() < b.MissingReceiptRatio;
            var timing = SmscReceiptTiming.Usual;
            if (b.EarlyReceiptRatio + b.LateReceiptRatio > 0)
            {
                var point = random.NextDouble();
                timing = point < b.EarlyReceiptRatio ? SmscReceiptTiming.Early
                    : point < b.EarlyReceiptRatio + b.LateReceiptRatio ? SmscReceiptTiming.Late
                    : SmscReceiptTiming.Usual;
            }
            var late = timing == SmscReceiptTiming.Late
                ? b.LateReceiptDelay + (b.LateReceiptDelayMax - b.LateReceiptDelay) * random.NextDouble()
                : TimeSpan.Zero;
            var state = b.DrawReceiptState(random);
            var duplicate = b.DuplicateReceiptRatio > 0 && random.NextDouble() < b.DuplicateReceiptRatio;
            return new SubmitPlan(queueFull ? SmppStatus.MessageQueueFull : error, new ReceiptPlan(missing, timing, late, state, duplicate));
        }
    }

    /// <summary>The id as submit_sm_resp gives it: hex, or decimal for <see cref="SmppReceiptIds.DecimalSubmittedHexReceipt"/>.</summary>
    private string NextMessageId(SmscBehaviour behaviour) => Interlocked.Increment(ref _nextMessageId)
        .ToString(behaviour.ReceiptIds == SmppReceiptIds.DecimalSubmittedHexReceipt ? "D" : "X", CultureInfo.InvariantCulture);

    /// <summary>The submitted id as this SMSC's receipts write it.</summary>
    private static string ReceiptId(string messageId, SmscBehaviour behaviour) => behaviour.ReceiptIds switch
    {
        SmppReceiptIds.HexSubmittedDecimalReceipt =>
            ulong.Parse(messageId, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture).ToString(CultureInfo.InvariantCulture),
        SmppReceiptIds.DecimalSubmittedHexReceipt =>
            ulong.Parse(messageId, NumberStyles.None, CultureInfo.InvariantCulture).ToString("X", CultureInfo.InvariantCulture),
        _ => messageId,
    };

    private bool OverRate(int max)
    {
        if (max <= 0)
            return false;
        var second = _time.GetUtcNow().ToUnixTimeSeconds();
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

    /// <returns>The message's first part id when this part completed it (or was the whole message), else null.</returns>
    private string? Reassemble(ShortMessageBody submit, string messageId, SmscBehaviour behaviour)
    {
        var read = SmppText.Read(submit, behaviour.PackedGsm7);
        var encoding = submit.DataCoding == ShortMessageBody.CodingUcs2 ? SmsEncoding.Ucs2 : SmsEncoding.Gsm7;
        if (read.Concat is not { Total: > 1 } concat)
        {
            Stats.MessageComplete(new SmscMessage(submit.SourceAddress, submit.DestinationAddress, encoding, read.Text, 1, [messageId]));
            return messageId;
        }
        var key = (submit.SourceAddress, submit.DestinationAddress, concat.Reference, concat.Total);
        var assembly = _assemblies.GetOrAdd(key, _ => new Assembly(concat.Total));
        if (assembly.Add(concat.Number, read.Text, messageId) is not { } whole || !_assemblies.TryRemove(key, out _))
            return null;
        Stats.MessageComplete(new SmscMessage(submit.SourceAddress, submit.DestinationAddress, encoding, whole.Text, concat.Total, whole.Ids));
        return whole.Ids[0];
    }

    private void ScheduleReceipt(Receipt receipt, Connection preferred, TimeSpan delay, SmscReceiptTiming timing, TimeSpan duplicateDelay)
    {
        if (delay <= TimeSpan.Zero)
        {
            _ = DeliverReceiptAsync(receipt, preferred, timing, duplicateDelay);
            return;
        }
        var due = _time.GetUtcNow() + delay;
        lock (_receiptGate)
        {
            _receiptsDue.Enqueue(new DueReceipt(receipt, preferred, timing, duplicateDelay), due);
            if (due < _receiptTimerAt)
                ArmReceiptTimer(due, delay);
        }
    }

    private void OnReceiptsDue()
    {
        List<DueReceipt>? due = null;
        lock (_receiptGate)
        {
            _receiptTimerAt = DateTimeOffset.MaxValue;
            var now = _time.GetUtcNow();
            while (_receiptsDue.TryPeek(out var receipt, out var at) && at <= now)
            {
                _receiptsDue.Dequeue();
                (due ??= []).Add(receipt);
            }
            if (_receiptsDue.TryPeek(out _, out var next))
                ArmReceiptTimer(next, next - now);
        }
        foreach (var receipt in due ?? [])
            _ = DeliverReceiptAsync(receipt.Receipt, receipt.Preferred, receipt.Timing, receipt.DuplicateDelay);
    }

    private void ArmReceiptTimer(DateTimeOffset at, TimeSpan due)
    {
        _receiptTimerAt = at;
        try
        {
            // A timer can fire a little before its time: at least a millisecond, so it does not spin.
            _receiptTimer.Change(due > TimeSpan.FromMilliseconds(1) ? due : TimeSpan.FromMilliseconds(1), Timeout.InfiniteTimeSpan);
        }
        catch (ObjectDisposedException)
        {
        }
    }

    private ShortMessageBody ReceiptBody(ShortMessageBody submit, string messageId, SmppMessageState state, SmscBehaviour behaviour)
    {
        var textId = ReceiptId(messageId, behaviour);
        var now = _time.GetUtcNow().UtcDateTime;
        var delivered = state == SmppMessageState.Delivered;
        var receipt = new SmppReceipt(textId, state, delivered ? null : "err:001", now, now, 1, delivered ? 1 : 0);
        return new ShortMessageBody
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
                SmppTlv.CString(SmppTlv.ReceiptedMessageId, textId),
                SmppTlv.Byte(SmppTlv.MessageState, (byte)state),
            ],
        };
    }

    /// <summary>registered_delivery's low bits: 1 asks for every final outcome, 2 for failures only (SMPP 3.4 §5.2.17).</summary>
    private static bool AsksForReceipt(byte registeredDelivery, SmppMessageState state) => (registeredDelivery & 0x03) switch
    {
        0 => false,
        2 => state != SmppMessageState.Delivered,
        _ => true,
    };

    private sealed record ReceiptPlan(bool Missing, SmscReceiptTiming Timing, TimeSpan LateDelay, SmppMessageState State, bool Duplicate);

    private sealed record SubmitPlan(uint Fault, ReceiptPlan Receipt);

    private sealed record Receipt(ShortMessageBody Body, SmppMessageState State, bool Duplicate);

    private sealed record DueReceipt(Receipt Receipt, Connection Preferred, SmscReceiptTiming Timing, TimeSpan DuplicateDelay);

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
}
