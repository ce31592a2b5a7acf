using Microsoft.Extensions.Options;

namespace Loa.Dispatcher.Sending;

/// <summary>
/// The base URL carriers post receipts to. Configured (<c>Loa:Dispatcher:PublicUrl</c>), or, in the
/// API host, learnt from the server's own address once it listens; a lane waits for it before it
/// claims a batch, so a batch republished in the first instants of a start is not claimed and dropped.
/// </summary>
public sealed class ReceiptAddress
{
    private readonly TaskCompletionSource<Uri> known = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public ReceiptAddress(IOptions<DispatcherOptions> options)
    {
        if (!string.IsNullOrWhiteSpace(options.Value.PublicUrl))
            Learn(options.Value.PublicUrl);
    }

    public bool IsKnown => known.Task.IsCompletedSuccessfully;

    /// <summary>First one wins: a configured URL is never replaced by the learnt one.</summary>
    public void Learn(string baseUrl) =>
        known.TrySetResult(new Uri(baseUrl.EndsWith('/') ? baseUrl : baseUrl + "/", UriKind.Absolute));

    public async Task<Uri> ForCarrierAsync(string carrier, CancellationToken cancellationToken) =>
        new(await known.Task.WaitAsync(cancellationToken).ConfigureAwait(false), $"api/v1/carriers/{carrier}/receipts");
}
