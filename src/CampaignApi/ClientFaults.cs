using System.Text;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.Net.Http.Headers;

namespace Loa.CampaignApi;

/// <summary>
/// Answers the client's faults that surface as exceptions (a body Kestrel cannot read, JSON the
/// binding cannot turn into the parameter) with their problem, without an error log; everything else
/// is left to the exception handler's 500.
/// </summary>
public sealed class ClientFaults : IExceptionHandler
{
    /// <summary>
    /// A body whose Content-Type names a charset that is no encoding is refused 415 before any endpoint
    /// reads it: the JSON binding would throw an InvalidOperationException for it, a 500. Runs after
    /// authorization, so the refusal is audited like any other.
    /// </summary>
    public static Task RefuseUnknownCharset(HttpContext context, RequestDelegate next)
    {
        if (MediaTypeHeaderValue.TryParse(context.Request.ContentType, out var media) && media.Charset.HasValue
            && !IsEncoding(HeaderUtilities.RemoveQuotes(media.Charset).Value))
        {
            return Problems.UnsupportedMediaType("The Content-Type names a charset that is not an encoding; send UTF-8.").ExecuteAsync(context);
        }
        return next(context);
    }

    private static bool IsEncoding(string? charset)
    {
        if (string.IsNullOrWhiteSpace(charset))
            return false;
        try
        {
            Encoding.GetEncoding(charset);
            return true;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (Problems.ForClientFault(exception) is not { } problem)
            return false;
        await problem.ExecuteAsync(httpContext);
        return true;
    }
}

/// <summary>
/// The request body as Kestrel delivers it, with a read that fails on the client's framing always a
/// <see cref="BadHttpRequestException"/>: Kestrel throws most framing faults as one (400), but a chunk
/// size that overflows as a plain <see cref="IOException"/> ("Bad chunk size data"), which would
/// otherwise be answered 500. Only reads of the body are translated, so a failing temp file or disk
/// is still ours. BadHttpRequestException is itself an IOException: it passes as it is, keeping its
/// status (413 too large, 408 too slow).
/// </summary>
public sealed class ClientBody(Stream inner) : Stream
{
    public static Task Wrap(HttpContext context, RequestDelegate next)
    {
        context.Request.Body = new ClientBody(context.Request.Body);
        return next(context);
    }

    public override bool CanRead => inner.CanRead;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count)
    {
        try
        {
            return inner.Read(buffer, offset, count);
        }
        catch (IOException e) when (e is not BadHttpRequestException)
        {
            throw Malformed(e);
        }
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        try
        {
            return await inner.ReadAsync(buffer, cancellationToken);
        }
        catch (IOException e) when (e is not BadHttpRequestException)
        {
            throw Malformed(e);
        }
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    private static BadHttpRequestException Malformed(IOException e) =>
        new($"The request body is malformed: {e.Message}", StatusCodes.Status400BadRequest, e);
}
