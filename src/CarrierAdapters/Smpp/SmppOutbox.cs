using System.Buffers;

namespace Loa.CarrierAdapters.Smpp;

/// <summary>
/// PDUs on their way to one connection, in the order they were queued, written by one writer that takes
/// everything queued at once: one send per PDU (each submit, each response, each deliver_sm_resp) bounded
/// a bind at about 1,600 submit_sm a second on two cores, most of it in socket calls.
/// </summary>
/// <remarks>
/// A PDU is either still queued (certainly not sent: <see cref="Close"/> hands its tag back) or taken by
/// the writer (it may have left, even if the write then fails: the writer hands its tag to the failure).
/// Both happen under one lock, so no tag is in both or in neither.
/// </remarks>
/// <typeparam name="TTag">What a caller wants back about a PDU (the session's pending submit); null for none.</typeparam>
public sealed class SmppOutbox<TTag> where TTag : class
{
    private readonly Stream _stream;
    private readonly Lock _gate = new();
    private readonly SemaphoreSlim _wake = new(0, 1);
    private ArrayBufferWriter<byte> _queued = new(4096);
    private ArrayBufferWriter<byte> _writing = new(4096);
    private List<TTag> _queuedTags = [];
    private List<TTag> _writingTags = [];
    private TaskCompletionSource _queuedWritten = NewBatch();
    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_scratch;
    private bool _woken;
    private string? _closed;

    public SmppOutbox(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        _stream = stream;
    }

    /// <summary>Queues a PDU behind those already queued.</summary>
    /// <param name="written">Completes once the PDU is handed to the connection; fails if the connection failed or closed first.</param>
    /// <returns>False once the outbox is closed: nothing was queued.</returns>
    /// <exception cref="ArgumentException">The PDU does not encode (a field too long): nothing was queued.</exception>
    public bool TryQueue(SmppPdu pdu, TTag? tag, out Task written)
    {
        // Encoded outside the lock, into this thread's own buffer: a PDU that does not encode leaves
        // nothing half-written in the queue.
        var scratch = t_scratch ??= new ArrayBufferWriter<byte>(256);
        scratch.ResetWrittenCount();
        SmppCodec.Encode(pdu, scratch);
        return TryQueue(scratch.WrittenSpan, tag, out written);
    }

    /// <summary>Octets as they are, behind those already queued: a PDU the codec would not write.</summary>
    public bool TryQueue(ReadOnlySpan<byte> octets, TTag? tag, out Task written)
    {
        bool wake;
        lock (_gate)
        {
            if (_closed is not null)
            {
                written = Task.CompletedTask;
                return false;
            }
            _queued.Write(octets);
            if (tag is not null)
                _queuedTags.Add(tag);
            written = _queuedWritten.Task;
            wake = !_woken;
            _woken = true;
        }
        if (wake)
            _wake.Release();
        return true;
    }

    /// <summary>
    /// Writes whatever is queued, as one send, until cancelled or a write fails.
    /// </summary>
    /// <param name="written">Called with the tags of a send once it returned.</param>
    /// <param name="failed">Called with the tags of a send and the error when it failed; the loop then ends.</param>
    public async Task RunAsync(Action<List<TTag>>? written, Action<List<TTag>, Exception> failed, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(failed);
        try
        {
            while (true)
            {
                await _wake.WaitAsync(cancellationToken).ConfigureAwait(false);
                TaskCompletionSource batch;
                lock (_gate)
                {
                    _woken = false;
                    if (_queued.WrittenCount == 0)
                        continue;
                    (_queued, _writing) = (_writing, _queued);
                    (_queuedTags, _writingTags) = (_writingTags, _queuedTags);
                    batch = _queuedWritten;
                    _queuedWritten = NewBatch();
                }
                try
                {
                    await _stream.WriteAsync(_writing.WrittenMemory, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex)
                {
                    failed(_writingTags, ex);
                    batch.TrySetException(ex);
                    _ = batch.Task.Exception;
                    return;
                }
                if (_writingTags.Count > 0)
                    written?.Invoke(_writingTags);
                batch.TrySetResult();
                _writing.ResetWrittenCount();
                _writingTags.Clear();
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Refuses anything more; what is still queued is not written.</summary>
    /// <returns>The tags of the PDUs still queued: certainly not sent.</returns>
    public List<TTag> Close(string reason)
    {
        List<TTag> unsent;
        TaskCompletionSource batch;
        lock (_gate)
        {
            if (_closed is not null)
                return [];
            _closed = reason;
            unsent = [.. _queuedTags];
            _queuedTags.Clear();
            _queued.ResetWrittenCount();
            batch = _queuedWritten;
        }
        batch.TrySetException(new IOException($"the connection closed before this was written: {reason}"));
        // Nobody need look at a batch that never went: its callers learn of the close from the connection.
        _ = batch.Task.Exception;
        return unsent;
    }

    private static TaskCompletionSource NewBatch() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
