using System.Net;
using System.Net.Http.Headers;
using System.Text;

namespace Loa.Tests.Shared;

/// <summary>
/// A CSV body sent chunked in two parts, the second only once <paramref name="resume"/> completes:
/// a slow client, caught in the middle of its upload.
/// </summary>
public sealed class PausedContent : HttpContent
{
    private readonly byte[] first;
    private readonly byte[] second;
    private readonly TaskCompletionSource firstSent = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Task resume;

    public PausedContent(string first, string second, Task resume)
    {
        this.first = Encoding.UTF8.GetBytes(first);
        this.second = Encoding.UTF8.GetBytes(second);
        this.resume = resume;
        Headers.ContentType = new MediaTypeHeaderValue("text/csv");
    }

    /// <summary>Completes once the first part has been flushed to the connection.</summary>
    public Task FirstSent => firstSent.Task;

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
    {
        await stream.WriteAsync(first);
        await stream.FlushAsync();
        firstSent.TrySetResult();
        await resume.WaitAsync(TimeSpan.FromSeconds(60));
        await stream.WriteAsync(second);
    }

    protected override bool TryComputeLength(out long length)
    {
        length = 0;
        return false;
    }
}
