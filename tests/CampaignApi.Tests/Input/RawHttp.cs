using System.Net.Sockets;
using System.Text;

namespace Loa.CampaignApi.Tests.Input;

/// <summary>The status line's code (null when the server closed without answering) and the Content-Type, if the answer had one.</summary>
public sealed record RawAnswer(int? Status, string? ContentType);

/// <summary>
/// Bytes written to the server's socket as they are, for requests HttpClient will not send (broken
/// chunked framing); the answer's status code and content type read back from its head.
/// </summary>
public static class RawHttp
{
    public static async Task<RawAnswer> SendAsync(Uri server, byte[] request, TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        using var client = new TcpClient();
        await client.ConnectAsync(server.Host, server.Port, cancel.Token);
        var stream = client.GetStream();
        try
        {
            await stream.WriteAsync(request, cancel.Token);
            await stream.FlushAsync(cancel.Token);
        }
        catch (IOException)
        {
            // The server may answer and close before it has read everything; the answer is still there to read.
        }
        var received = new MemoryStream();
        var buffer = new byte[4096];
        while (received.Length < 64 * 1024)
        {
            int read;
            try
            {
                read = await stream.ReadAsync(buffer, cancel.Token);
            }
            catch (IOException)
            {
                break;
            }
            if (read == 0)
                break;
            received.Write(buffer, 0, read);
            var text = Encoding.ASCII.GetString(received.GetBuffer(), 0, (int)received.Length);
            if (text.Contains("\r\n\r\n", StringComparison.Ordinal))
                break;
        }
        var head = Encoding.ASCII.GetString(received.GetBuffer(), 0, (int)received.Length).Split("\r\n\r\n")[0].Split("\r\n");
        var parts = head[0].Split(' ', 3);
        int? status = parts.Length >= 2 && parts[0].StartsWith("HTTP/1.", StringComparison.Ordinal) && int.TryParse(parts[1], out var code) ? code : null;
        var contentType = head.Skip(1).FirstOrDefault(h => h.StartsWith("Content-Type:", StringComparison.OrdinalIgnoreCase))?["Content-Type:".Length..].Trim();
        return new RawAnswer(status, contentType);
    }

    /// <summary>A chunked request whose head is well formed and whose body is <paramref name="body"/> exactly as given.</summary>
    public static byte[] Chunked(string method, Uri server, string pathAndQuery, string key, string contentType, string body, IReadOnlyDictionary<string, string>? headers = null)
    {
        var head = new StringBuilder()
            .Append(method).Append(' ').Append(pathAndQuery).Append(" HTTP/1.1\r\n")
            .Append("Host: ").Append(server.Authority).Append("\r\n")
            .Append("Authorization: Bearer ").Append(key).Append("\r\n")
            .Append("Content-Type: ").Append(contentType).Append("\r\n")
            .Append("Transfer-Encoding: chunked\r\n");
        foreach (var (name, value) in headers ?? new Dictionary<string, string>())
            head.Append(name).Append(": ").Append(value).Append("\r\n");
        head.Append("Connection: close\r\n\r\n").Append(body);
        return Encoding.Latin1.GetBytes(head.ToString());
    }
}
