using System.Collections.Concurrent;
using System.Net.Sockets;
using Loa.CarrierAdapters.Smpp;

namespace Loa.CarrierSimulators.Smsc;

/// <summary>
/// deliver_sm on their way to the client, as a real SMSC keeps them: written to a bind of the account
/// that takes them, held while the account has none, and delivered again when the bind they went to
/// drops before its deliver_sm_resp (or answers with an error). Nothing is given up on while the
/// simulator runs, unless an account with no bind piles up more than <see cref="MostHeld"/>.
/// </summary>
public sealed partial class SmscSimulator
{
    /// <summary>deliver_sm held per account at most; a client gone for good must not grow the simulator without end.</summary>
    internal const int MostHeld = 500_000;

    // A client that answered deliver_sm with an error is asked again after this, as SMSCs retry on a schedule.
    private static readonly TimeSpan RetryAfterError = TimeSpan.FromSeconds(1);

    private readonly ConcurrentDictionary<string, ConcurrentQueue<Held>> _held = new(StringComparer.Ordinal);
    private int _nextReceiver;

    /// <summary>deliver_sm waiting for a bind of their account: none open, or the one they went to dropped unanswered.</summary>
    public int ReceiptsHeld => _held.Values.Sum(q => q.Count);

    /// <summary>
    /// Writes a receipt on the bind that sent the message if it takes deliver_sm, else on another
    /// transceiver or receiver of the same system_id (never a transmitter, never another account's bind).
    /// </summary>
    /// <returns>False when no bind could take it now: the caller holds it or goes another way.</returns>
    private async Task<bool> TryWriteReceiptAsync(ShortMessageBody receipt, Connection preferred)
    {
        var target = preferred.CanTakeReceipts ? preferred : Receiving(preferred.SystemId);
        return target is not null && await target.DeliverAsync(receipt).ConfigureAwait(false);
    }

    /// <summary>A bind of <paramref name="systemId"/> that takes deliver_sm, taken in turn so that several receivers share them.</summary>
    private Connection? Receiving(string? systemId)
    {
        var receiving = _connections.Values.Where(c => c.CanTakeReceipts && c.SystemId == systemId).ToList();
        return receiving.Count == 0 ? null : receiving[(int)((uint)Interlocked.Increment(ref _nextReceiver) % (uint)receiving.Count)];
    }

    private async Task DeliverReceiptAsync(Receipt receipt, Connection preferred, SmscReceiptTiming timing, TimeSpan duplicateDelay)
    {
        try
        {
            if (_stoppingToken.IsCancellationRequested)
                return;
            await WriteOrHoldAsync(receipt.Body, preferred, () =>
            {
                Stats.ReceiptSent(receipt.State, timing);
                if (receipt.Duplicate)
                    _ = DuplicateAsync(receipt, preferred, duplicateDelay);
            }).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
        {
        }
    }

    private async Task DuplicateAsync(Receipt receipt, Connection preferred, TimeSpan delay)
    {
        try
        {
            if (delay > TimeSpan.Zero)
                await Task.Delay(delay, _time, _stoppingToken).ConfigureAwait(false);
            await WriteOrHoldAsync(receipt.Body, preferred, Stats.DuplicateReceiptSent).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
        {
        }
    }

    private async Task WriteOrHoldAsync(ShortMessageBody body, Connection preferred, Action written)
    {
        if (await TryWriteReceiptAsync(body, preferred).ConfigureAwait(false))
            written();
        else
            Hold(preferred.SystemId, new Held(body, written));
    }

    /// <summary>A deliver_sm the bind it went to never acknowledged: for the account's next bind that takes deliver_sm.</summary>
    private void Redeliver(string? systemId, ShortMessageBody body) => Hold(systemId, new Held(body, Stats.ReceiptRedelivered));

    private async Task RedeliverLaterAsync(string? systemId, ShortMessageBody body)
    {
        try
        {
            await Task.Delay(RetryAfterError, _time, _stoppingToken).ConfigureAwait(false);
            Redeliver(systemId, body);
        }
        catch (OperationCanceledException)
        {
        }
    }

    private void Hold(string? systemId, Held held)
    {
        var queue = _held.GetOrAdd(systemId ?? "", _ => new ConcurrentQueue<Held>());
        if (queue.Count >= MostHeld)
        {
            Stats.ReceiptLost();
            return;
        }
        // Queued before looking for a bind: a bind made meanwhile flushes it, or this flush finds that bind.
        queue.Enqueue(held);
        _ = FlushHeldAsync(systemId);
    }

    /// <summary>Writes what the account's binds could not take so far, now that one can (called when a bind that takes deliver_sm is made).</summary>
    private async Task FlushHeldAsync(string? systemId)
    {
        if (!_held.TryGetValue(systemId ?? "", out var queue))
            return;
        try
        {
            while (!_stoppingToken.IsCancellationRequested && Receiving(systemId) is { } target && queue.TryDequeue(out var held))
            {
                if (await target.DeliverAsync(held.Body).ConfigureAwait(false))
                    held.Written();
                else
                    queue.Enqueue(held); // that bind went meanwhile; the next one, or the next bind, takes it
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or IOException or SocketException)
        {
        }
    }

    private sealed record Held(ShortMessageBody Body, Action Written);
}
