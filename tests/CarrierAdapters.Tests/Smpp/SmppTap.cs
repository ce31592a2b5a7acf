using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Loa.CarrierAdapters.Smpp;

namespace Loa.CarrierAdapters.Tests.Smpp;

/// <summary>
/// A loopback TCP relay between the client and the SMSC simulator that keeps every PDU the client
/// writes: the simulator checks what it reassembles, this shows the fields it does not look at
/// (priority_flag, validity_period, the sar_* TLVs) exactly as they went on the wire.
/// </summary>
internal sealed class SmppTap : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly string _host;
    private readonly int _port;
    private readonly CancellationTokenSource _stopping = new();
    private readonly ConcurrentBag<TcpClient> _clients = [];
    private readonly Task _accepting;

    public SmppTap(string host, int port)
    {
        _host = host;
        _port = port;
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _accepting = Task.Run(AcceptLoopAsync);
    }

    public int Port { get; }

    public ConcurrentQueue<SmppPdu> FromClient { get; } = new();

    public IReadOnlyList<ShortMessageBody> Submits =>
        [.. FromClient.Where(p => p.Command == SmppCommand.SubmitSm).Select(p => (ShortMessageBody)p.Body)];

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        _listener.Stop();
        foreach (var client in _clients)
            client.Dispose();
        try
        {
            await _accepting;
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
                client = await _listener.AcceptTcpClientAsync(_stopping.Token);
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException or OperationCanceledException)
            {
                return;
            }
            var server = new TcpClient();
            await server.ConnectAsync(_host, _port);
            _clients.Add(client);
            _clients.Add(server);
            _ = RelayAsync(client.GetStream(), server.GetStream(), record: true, client, server);
            _ = RelayAsync(server.GetStream(), client.GetStream(), record: false, client, server);
        }
    }

    private async Task RelayAsync(NetworkStream from, NetworkStream to, bool record, TcpClient a, TcpClient b)
    {
        try
        {
            while (await SmppCodec.ReadFrameAsync(from, _stopping.Token) is { } frame)
            {
                if (record)
                    FromClient.Enqueue(SmppCodec.Decode(frame));
                await to.WriteAsync(frame, _stopping.Token);
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or OperationCanceledException or SocketException or SmppFormatException)
        {
        }
        a.Dispose();
        b.Dispose();
    }
}
