using System.Net.Sockets;
using System.Threading.Channels;
using Loa.CarrierAdapters.Smpp;
using Loa.CarrierSimulators.Smsc;

namespace Loa.CarrierAdapters.Tests.SmscSpecs;

/// <summary>
/// A bare ESME on our codec: binds, writes submit_sm as told, answers every deliver_sm (ESME_ROK unless
/// told otherwise, or not at all), and keeps
/// every PDU the SMSC sends in arrival order, so a spec can see what came before what.
/// </summary>
internal sealed class RawEsme : IAsyncDisposable
{
    private readonly TcpClient _client;
    private readonly NetworkStream _stream;
    private readonly SemaphoreSlim _write = new(1, 1);
    private readonly Channel<SmppPdu> _inbound = Channel.CreateUnbounded<SmppPdu>();
    private readonly CancellationTokenSource _closing = new();
    private readonly Queue<SmppPdu> _passed = new();
    private readonly Task _reading;
    private readonly uint? _deliverAnswer;
    private int _sequence;

    private RawEsme(TcpClient client, uint? deliverAnswer)
    {
        _client = client;
        _deliverAnswer = deliverAnswer;
        _stream = client.GetStream();
        _reading = Task.Run(ReadLoopAsync);
    }

    /// <param name="deliverAnswer">The status every deliver_sm is answered with; null leaves them unanswered.</param>
    public static async Task<RawEsme> BindAsync(SmscSimulator smsc, SmppCommand bind = SmppCommand.BindTransceiver, uint? deliverAnswer = SmppStatus.Ok)
    {
        var client = new TcpClient { NoDelay = true };
        await client.ConnectAsync(smsc.Host, smsc.Port);
        var esme = new RawEsme(client, deliverAnswer);
        await esme.SendAsync(SmppPdu.Request(bind, new BindBody(smsc.Behaviour.SystemId, smsc.Behaviour.Password)));
        var answer = await esme.NextAsync();
        Assert.Equal(SmppStatus.Ok, answer.Status);
        return esme;
    }

    public static ShortMessageBody Submit(string destination, string text = "Canh bao lua dao", byte registeredDelivery = ShortMessageBody.ReceiptOnFinalOutcome) =>
        Parts(destination, text, 1, registeredDelivery).Single();

    /// <summary>The submit_sm bodies of a text as Loa's adapter would cut it.</summary>
    public static IReadOnlyList<ShortMessageBody> Parts(string destination, string text, byte reference, byte registeredDelivery = ShortMessageBody.ReceiptOnFinalOutcome) =>
        SmppText.Parts(text, reference, packGsm7: false).Select(p => new ShortMessageBody
        {
            SourceAddress = "CUCATTT",
            DestTon = 1,
            DestNpi = 1,
            DestinationAddress = destination,
            EsmClass = p.EsmClass,
            RegisteredDelivery = registeredDelivery,
            DataCoding = p.DataCoding,
            ShortMessage = p.ShortMessage,
        }).ToList();

    /// <returns>The submit's sequence number, to find its submit_sm_resp.</returns>
    public async Task<uint> SubmitAsync(ShortMessageBody body)
    {
        var sequence = (uint)Interlocked.Increment(ref _sequence);
        await SendAsync(new SmppPdu(SmppCommand.SubmitSm, SmppStatus.Ok, sequence, body));
        return sequence;
    }

    /// <summary>
    /// Submits and waits for its answer. Whatever else arrived on the way is added to <paramref name="seen"/>
    /// and is still there for <see cref="NextAsync"/> and <see cref="DrainAsync"/>.
    /// </summary>
    public async Task<SmppPdu> SubmitAndAnswerAsync(ShortMessageBody body, List<SmppPdu>? seen = null)
    {
        var sequence = await SubmitAsync(body);
        while (true)
        {
            var pdu = await ReadAsync(TimeSpan.FromSeconds(10));
            if (pdu.Command == SmppCommand.SubmitSmResp && pdu.Sequence == sequence)
                return pdu;
            seen?.Add(pdu);
            _passed.Enqueue(pdu);
        }
    }

    public Task<SmppPdu> NextAsync(int seconds = 10) =>
        _passed.TryDequeue(out var passed) ? Task.FromResult(passed) : ReadAsync(TimeSpan.FromSeconds(seconds));

    /// <summary>Every PDU that arrives within the quiet period after the last one.</summary>
    public async Task<List<SmppPdu>> DrainAsync(TimeSpan quiet)
    {
        var drained = new List<SmppPdu>(_passed);
        _passed.Clear();
        while (true)
        {
            try
            {
                drained.Add(await ReadAsync(quiet));
            }
            catch (OperationCanceledException)
            {
                return drained;
            }
        }
    }

    private async Task<SmppPdu> ReadAsync(TimeSpan wait)
    {
        using var deadline = new CancellationTokenSource(wait);
        return await _inbound.Reader.ReadAsync(deadline.Token);
    }

    public async Task UnbindAsync()
    {
        await SendAsync(new SmppPdu(SmppCommand.Unbind, SmppStatus.Ok, (uint)Interlocked.Increment(ref _sequence), SmppBody.Empty));
        while ((await NextAsync()).Command != SmppCommand.UnbindResp)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _closing.CancelAsync();
        _client.Dispose();
        try
        {
            await _reading;
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or OperationCanceledException or SocketException)
        {
        }
        _closing.Dispose();
        _write.Dispose();
    }

    private async Task SendAsync(SmppPdu pdu)
    {
        await _write.WaitAsync();
        try
        {
            await _stream.WriteAsync(SmppCodec.Encode(pdu));
        }
        finally
        {
            _write.Release();
        }
    }

    private async Task ReadLoopAsync()
    {
        while (await SmppCodec.ReadFrameAsync(_stream, _closing.Token) is { } frame)
        {
            var pdu = SmppCodec.Decode(frame);
            if (pdu.Command == SmppCommand.DeliverSm && _deliverAnswer is { } status)
                await SendAsync(pdu.Answer(status, new MessageIdBody("")));
            await _inbound.Writer.WriteAsync(pdu);
        }
    }
}

/// <summary>What a spec reads from a deliver_sm receipt.</summary>
internal static class Receipts
{
    public static bool IsReceipt(SmppPdu pdu) => pdu.Command == SmppCommand.DeliverSm && ((ShortMessageBody)pdu.Body).IsDeliveryReceipt;

    public static SmppReceipt Read(SmppPdu pdu) =>
        SmppReceipts.TryRead((ShortMessageBody)pdu.Body) ?? throw new InvalidOperationException("Not a readable receipt.");

    public static string Id(SmppPdu submitResp) => ((MessageIdBody)submitResp.Body).MessageId;
}
