using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Loa.CarrierAdapters.Smpp;

/// <summary>What became of one submit_sm.</summary>
public abstract record SmppSubmitAnswer
{
    /// <summary>The SMSC answered, with this status and (when it took the message) its id.</summary>
    public sealed record Answered(uint Status, string MessageId) : SmppSubmitAnswer;

    /// <summary>Never written to the connection: certainly not taken, safe to send again.</summary>
    public sealed record NotSent(string Reason) : SmppSubmitAnswer;

    /// <summary>Written, and no answer came (the bind dropped, or no response in time): the SMSC may have taken it.</summary>
    public sealed record Unknown(string Reason) : SmppSubmitAnswer;
}

/// <summary>What the session does with a deliver_sm: the status returned is what deliver_sm_resp carries.</summary>
public interface ISmppInbound
{
    /// <summary>The deliver_sm that arrived together, kept together: one receipt write for many, as an HTTP post is.</summary>
    /// <returns><see cref="SmppStatus.Ok"/> once every one is safely kept; <see cref="SmppStatus.TemporaryAppError"/> asks the SMSC to deliver them again later.</returns>
    ValueTask<uint> DeliverAsync(IReadOnlyList<ShortMessageBody> delivers, CancellationToken cancellationToken);
}

public sealed class SmppBindException(uint status, string message) : Exception(message)
{
    public uint Status { get; } = status;
}

/// <summary>
/// One bind to an SMSC over TCP: at most <see cref="SmppOptions.Window"/> submits unanswered at any time,
/// enquire_link when the link is idle, and the SMSC's own enquire_link, unbind and deliver_sm answered.
/// When the connection ends, every submit still waiting completes as <see cref="SmppSubmitAnswer.Unknown"/>
/// and every one not yet written as <see cref="SmppSubmitAnswer.NotSent"/>: nothing is silently lost.
/// </summary>
public sealed partial class SmppSession : IAsyncDisposable
{
    private readonly SmppOptions _options;
    private readonly ISmppInbound? _inbound;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly TcpClient _tcp;
    // The socket's own stream, or TLS over it (SmppOptions.Tls).
    private readonly Stream _stream;
    // Reads go through a buffer: a PDU read straight off the socket costs two receive calls (its length,
    // then the rest), and under load several answers and receipts arrive together in one segment.
    private readonly BufferedStream _incoming;
    private readonly SemaphoreSlim _window;
    private readonly SmppOutbox<Pending> _outbox;
    // One timer for the response timeout of every submit, armed for the oldest one unanswered: submits
    // share one timeout and are written in order, so their deadlines are too. A Task.Delay per submit kept
    // a timer and a cancellation registration alive for the whole timeout after its answer had come.
    private readonly Queue<Pending> _deadlines = new();
    private readonly Lock _deadlineGate = new();
    private readonly ITimer _deadlineTimer;
    private bool _deadlineArmed;
    private readonly ConcurrentDictionary<uint, Pending> _pending = new();
    private readonly CancellationTokenSource _closing = new();
    private readonly TaskCompletionSource<string> _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    /// <summary>Most deliver_sm kept in one group: the size of an HTTP receipt post.</summary>
    internal const int MaxDeliverGroup = 500;

    private readonly Channel<SmppPdu> _delivers = Channel.CreateBounded<SmppPdu>(new BoundedChannelOptions(1_000) { SingleReader = true });
    private readonly string _name;
    private readonly SmppBindType _bind;
    private int _sequence;
    private int _outstanding;
    private int _maxOutstanding;
    private long _lastReceived;
    private volatile bool _unbinding;
    private Task _reading = Task.CompletedTask;
    private Task _linkCheck = Task.CompletedTask;
    private Task _delivering = Task.CompletedTask;
    private Task _writing = Task.CompletedTask;

    private SmppSession(SmppOptions options, SmppBindType bind, ISmppInbound? inbound, ILogger logger, TimeProvider time, TcpClient tcp, Stream stream, string name)
    {
        _bind = bind;
        _options = options;
        _inbound = inbound;
        _logger = logger;
        _time = time;
        _tcp = tcp;
        _stream = stream;
        _incoming = new BufferedStream(_stream, SmppCodec.ReadBufferSize);
        _outbox = new SmppOutbox<Pending>(_stream);
        _deadlineTimer = time.CreateTimer(_ => OnDeadline(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        _window = new SemaphoreSlim(Math.Max(1, options.Window), Math.Max(1, options.Window));
        _name = name;
        _lastReceived = time.GetTimestamp();
    }

    /// <summary>Why the session ended, once it has: completes when the connection is gone.</summary>
    public Task<string> Closed => _closed.Task;

    public bool IsOpen => !_closed.Task.IsCompleted && !_unbinding;

    /// <summary>What this session bound as: a receiver takes deliver_sm and submits nothing.</summary>
    public SmppBindType Bind => _bind;

    /// <summary>Submits written and not yet answered (or given up on), now and at most so far.</summary>
    public int Outstanding => Volatile.Read(ref _outstanding);

    public int MaxOutstanding => Volatile.Read(ref _maxOutstanding);

    /// <summary>The reason of a submit its caller withdrew before it was written.</summary>
    public const string Withdrawn = "withdrawn before sending";

    private TimeSpan ResponseTimeout => TimeSpan.FromSeconds(Math.Max(1, _options.ResponseSeconds));

    /// <summary>Connects and binds as a transceiver; throws <see cref="SmppBindException"/> when the SMSC refuses, naming its status.</summary>
    public static Task<SmppSession> BindAsync(SmppOptions options, ISmppInbound? inbound, ILogger? logger, TimeProvider? time, CancellationToken cancellationToken) =>
        BindAsync(options, SmppBindType.Transceiver, inbound, logger, time, cancellationToken);

    /// <summary>Connects and binds as <paramref name="bind"/>; throws <see cref="SmppBindException"/> when the SMSC refuses, naming its status.</summary>
    public static async Task<SmppSession> BindAsync(SmppOptions options, SmppBindType bind, ISmppInbound? inbound, ILogger? logger, TimeProvider? time,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!Enum.IsDefined(bind))
            throw new ArgumentOutOfRangeException(nameof(bind), bind, "Transceiver, Transmitter or Receiver.");
        var tcp = new TcpClient { NoDelay = true };
        Stream stream;
        using (var connect = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            // The TLS handshake is part of connecting: an SMSC that accepts TCP and never answers the
            // ClientHello must not hold the bind longer than a silent one would.
            connect.CancelAfter(TimeSpan.FromSeconds(Math.Max(1, options.ConnectSeconds)));
            try
            {
                await tcp.ConnectAsync(options.Host, options.Port, connect.Token).ConfigureAwait(false);
                stream = options.Tls
                    ? await SmppTls.AuthenticateAsync(tcp.GetStream(), options, connect.Token).ConfigureAwait(false)
                    : tcp.GetStream();
            }
            catch (Exception ex) when (ex is SocketException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
            {
                tcp.Dispose();
                throw new SmppBindException(SmppStatus.BindFailed, $"cannot connect to {options.Host}:{options.Port}{(options.Tls ? " over TLS" : "")}: {ex.Message}");
            }
            catch (SmppBindException)
            {
                tcp.Dispose();
                throw;
            }
        }
        var session = new SmppSession(options, bind, inbound, logger ?? NullLogger.Instance, time ?? TimeProvider.System, tcp, stream,
            $"{options.SystemId}@{options.Host}:{options.Port}{(bind == SmppBindType.Transceiver ? "" : $" ({bind.ToString().ToLowerInvariant()})")}");
        session.Start();
        var command = bind switch
        {
            SmppBindType.Transmitter => SmppCommand.BindTransmitter,
            SmppBindType.Receiver => SmppCommand.BindReceiver,
            _ => SmppCommand.BindTransceiver,
        };
        SmppPdu? answer;
        try
        {
            answer = await session.RequestAsync(SmppPdu.Request(command, new BindBody(options.SystemId, options.Password, options.SystemType)), cancellationToken)
                .ConfigureAwait(false);
        }
        catch
        {
            await session.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        if (answer is null || answer.Status != SmppStatus.Ok)
        {
            var why = answer is null ? "no bind response" : $"bind refused: {SmppStatus.Name(answer.Status)}";
            await session.CloseAsync(why).ConfigureAwait(false);
            await session.DisposeAsync().ConfigureAwait(false);
            throw new SmppBindException(answer?.Status ?? SmppStatus.BindFailed, $"{session._name}: {why}");
        }
        session._logger.LogInformation("SMPP {Bind} bound to {Session}", bind, session._name);
        return session;
    }

    /// <summary>
    /// Waits for a window slot, queues the submit for writing, and returns the task of its answer: the
    /// caller can queue the next submit while this one is in flight, and never more than the window are.
    /// A submit still queued when the connection ends is <see cref="SmppSubmitAnswer.NotSent"/>; one the
    /// writer had taken is <see cref="SmppSubmitAnswer.Unknown"/>, even if its write failed.
    /// </summary>
    /// <param name="stillWanted">Asked once a window slot is free, just before writing: false gives the slot
    /// back and the submit is not sent (the caller learnt meanwhile that it should stop, e.g. a throttle answer).</param>
    /// <param name="onAnswered">Called on the read loop with the SMSC's answer, before anything read after it
    /// (a receipt for this very message) is handled: it must be quick and must not throw.</param>
    public async Task<Task<SmppSubmitAnswer>> StartSubmitAsync(ShortMessageBody body, CancellationToken cancellationToken, Func<bool>? stillWanted = null,
        Action<SmppSubmitAnswer.Answered>? onAnswered = null)
    {
        ArgumentNullException.ThrowIfNull(body);
        if (_bind == SmppBindType.Receiver)
            return Task.FromResult<SmppSubmitAnswer>(new SmppSubmitAnswer.NotSent("a receiver bind does not submit"));
        if (!IsOpen)
            return Task.FromResult<SmppSubmitAnswer>(new SmppSubmitAnswer.NotSent(ClosedReason()));
        if (!_window.Wait(0))
        {
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _closing.Token);
            try
            {
                await _window.WaitAsync(wait.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                return Task.FromResult<SmppSubmitAnswer>(new SmppSubmitAnswer.NotSent(ClosedReason()));
            }
        }
        if (stillWanted is not null && !stillWanted())
        {
            _window.Release();
            return Task.FromResult<SmppSubmitAnswer>(new SmppSubmitAnswer.NotSent(Withdrawn));
        }

        var sequence = NextSequence();
        var pending = new Pending(SmppCommand.SubmitSm, sequence, holdsWindowSlot: true) { OnAnswered = onAnswered };
        _pending[sequence] = pending;
        var now = Interlocked.Increment(ref _outstanding);
        InterlockedMax(ref _maxOutstanding, now);
        bool queued;
        try
        {
            queued = _outbox.TryQueue(new SmppPdu(SmppCommand.SubmitSm, SmppStatus.Ok, sequence, body), pending, out _);
        }
        catch (ArgumentException)
        {
            Complete(sequence, pending, new SmppSubmitAnswer.NotSent("the submit does not encode"));
            throw;
        }
        // Closed between the slot and the queue: nothing was written.
        if (!queued)
            Complete(sequence, pending, new SmppSubmitAnswer.NotSent(ClosedReason()));
        return pending.Answer.Task;
    }

    /// <summary>
    /// Waits (at most the response timeout) for the submits in flight, then unbinds and closes. New
    /// submits are refused from the start, so the SMSC's unbind_resp is the last word on this bind.
    /// </summary>
    public async Task UnbindAsync(CancellationToken cancellationToken)
    {
        if (_closed.Task.IsCompleted)
            return;
        _unbinding = true;
        var until = _time.GetTimestamp();
        while (Outstanding > 0 && _time.GetElapsedTime(until) < ResponseTimeout && !_closed.Task.IsCompleted)
            await Task.Delay(TimeSpan.FromMilliseconds(20), _time, cancellationToken).ConfigureAwait(false);
        if (!_closed.Task.IsCompleted)
            await RequestAsync(SmppPdu.Request(SmppCommand.Unbind), cancellationToken).ConfigureAwait(false);
        await CloseAsync("unbound").ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        await CloseAsync("disposed").ConfigureAwait(false);
        await Task.WhenAll(_reading, _linkCheck, _delivering, _writing).ConfigureAwait(false);
        try
        {
            // The socket is closed already; this frees TLS's own state.
            await _stream.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or SocketException)
        {
        }
        await _deadlineTimer.DisposeAsync().ConfigureAwait(false);
        _closing.Dispose();
        _window.Dispose();
    }

    private void Start()
    {
        _reading = Task.Run(ReadLoopAsync);
        _linkCheck = Task.Run(LinkCheckLoopAsync);
        _delivering = Task.Run(DeliverLoopAsync);
        _writing = Task.Run(() => _outbox.RunAsync(OnWritten, OnWriteFailed, _closing.Token));
    }

    /// <summary>A request other than submit_sm (bind, enquire_link, unbind): its response, or null if none came in time.</summary>
    private async Task<SmppPdu?> RequestAsync(SmppPdu request, CancellationToken cancellationToken)
    {
        var sequence = NextSequence();
        var pending = new Pending(request.Command, sequence, holdsWindowSlot: false);
        _pending[sequence] = pending;
        try
        {
            if (!_outbox.TryQueue(request with { Sequence = sequence }, null, out var written))
                return null;
            await written.WaitAsync(cancellationToken).ConfigureAwait(false);
            var answer = await pending.Response.Task.WaitAsync(ResponseTimeout, _time, cancellationToken).ConfigureAwait(false);
            return answer;
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or TimeoutException)
        {
            return null;
        }
        finally
        {
            _pending.TryRemove(sequence, out _);
        }
    }

    /// <summary>
    /// A submit unanswered after the response timeout is reported unknown now, but keeps its window
    /// slot until its late answer or the end of the bind: the SMSC still counts it as in flight.
    /// </summary>
    private void OnDeadline()
    {
        List<Pending>? overdue = null;
        lock (_deadlineGate)
        {
            _deadlineArmed = false;
            while (_deadlines.TryPeek(out var oldest))
            {
                var waited = _time.GetElapsedTime(oldest.WrittenAt);
                if (!oldest.Answer.Task.IsCompleted && waited < ResponseTimeout)
                {
                    ArmDeadline(ResponseTimeout - waited);
                    break;
                }
                _deadlines.Dequeue();
                if (!oldest.Answer.Task.IsCompleted)
                    (overdue ??= []).Add(oldest);
            }
        }
        foreach (var pending in overdue ?? [])
        {
            if (pending.Answer.TrySetResult(new SmppSubmitAnswer.Unknown($"no submit_sm_resp within {ResponseTimeout.TotalSeconds:0} s")))
                _logger.LogWarning("SMPP {Session}: submit_sm {Sequence} unanswered after {Timeout}; its outcome is unknown", _name, pending.Sequence, ResponseTimeout);
        }
    }

    private void ArmDeadline(TimeSpan due)
    {
        _deadlineArmed = true;
        try
        {
            _deadlineTimer.Change(due, Timeout.InfiniteTimeSpan);
        }
        catch (ObjectDisposedException)
        {
        }
    }

    /// <summary>The response timeout runs from the end of the write, as each submit's own delay did.</summary>
    private void OnWritten(List<Pending> submits)
    {
        var now = _time.GetTimestamp();
        lock (_deadlineGate)
        {
            // Answered ones leave from the front as new ones come, so the queue stays about a window long.
            while (_deadlines.TryPeek(out var oldest) && oldest.Answer.Task.IsCompleted)
                _deadlines.Dequeue();
            foreach (var pending in submits)
            {
                pending.WrittenAt = now;
                _deadlines.Enqueue(pending);
            }
            if (!_deadlineArmed && _deadlines.Count > 0)
                ArmDeadline(ResponseTimeout);
        }
    }

    private void OnWriteFailed(List<Pending> submits, Exception ex)
    {
        // Part of what was being written may have left before the failure: the SMSC may have it.
        foreach (var pending in submits)
            Complete(pending.Sequence, pending, new SmppSubmitAnswer.Unknown($"the connection failed while sending: {ex.Message}"));
        _ = CloseAsync($"write failed: {ex.Message}");
    }

    private void Complete(uint sequence, Pending pending, SmppSubmitAnswer answer)
    {
        pending.Answer.TrySetResult(answer);
        if (_pending.TryRemove(new KeyValuePair<uint, Pending>(sequence, pending)) && pending.HoldsWindowSlot)
        {
            Interlocked.Decrement(ref _outstanding);
            try
            {
                _window.Release();
            }
            catch (ObjectDisposedException)
            {
            }
        }
    }

    /// <summary>Queues an answer nobody waits on; once the bind is closed there is no one to answer.</summary>
    private void Send(SmppPdu pdu) => _outbox.TryQueue(pdu, null, out _);

    private async Task CloseAsync(string reason)
    {
        if (!_closed.TrySetResult(reason))
            return;
        _logger.LogInformation("SMPP {Session} closed: {Reason}", _name, reason);
        // Taken from the outbox before anything else ends: these certainly never left.
        foreach (var unsent in _outbox.Close(reason))
            Complete(unsent.Sequence, unsent, new SmppSubmitAnswer.NotSent(reason));
        await _closing.CancelAsync().ConfigureAwait(false);
        _tcp.Dispose();
        _delivers.Writer.TryComplete();
        foreach (var (sequence, pending) in _pending)
        {
            if (pending.Command == SmppCommand.SubmitSm)
                Complete(sequence, pending, new SmppSubmitAnswer.Unknown($"bind closed before the answer: {reason}"));
            else
                pending.Response.TrySetResult(null);
        }
    }

    private string ClosedReason() =>
        _closed.Task.IsCompletedSuccessfully ? _closed.Task.Result : _unbinding ? "the bind is unbinding" : "the bind is closed";

    private uint NextSequence()
    {
        // Sequence numbers run 1..0x7FFFFFFF and wrap (§5.1.4); a wrapped one is long answered.
        var next = Interlocked.Increment(ref _sequence) & 0x7FFFFFFF;
        return next == 0 ? NextSequence() : (uint)next;
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int seen;
        while ((seen = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, seen) != seen)
        {
        }
    }

    private sealed class Pending(SmppCommand command, uint sequence, bool holdsWindowSlot)
    {
        public SmppCommand Command { get; } = command;

        public uint Sequence { get; } = sequence;

        /// <summary>When its write returned: the response timeout runs from here.</summary>
        public long WrittenAt { get; set; }

        public bool HoldsWindowSlot { get; } = holdsWindowSlot;

        public Action<SmppSubmitAnswer.Answered>? OnAnswered { get; init; }

        public TaskCompletionSource<SmppSubmitAnswer> Answer { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource<SmppPdu?> Response { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
