using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace Lessor.Cli.Tests.Faults;

/// <summary>
/// A TCP relay between one replica and PostgreSQL: <see cref="Cut"/> drops every connection through it and refuses new
/// ones (the replica is cut off from its database), <see cref="Restore"/> listens again on the same port. Optionally
/// delays every chunk each way (added network latency where tc netem is not available).
/// </summary>
internal sealed class TcpRelay : IAsyncDisposable
{
    private readonly IPEndPoint _target;
    private readonly IPAddress _bind;
    private readonly Func<TimeSpan> _delay;
    private readonly ConcurrentDictionary<Socket, byte> _open = new();
    private TcpListener? _listener;
    private CancellationTokenSource _cts = new();
    private Task _accepting = Task.CompletedTask;

    /// <param name="bind">The address it listens on (loopback unless a replica in another network namespace must reach it).</param>
    public TcpRelay(IPEndPoint target, int port, Func<TimeSpan>? delay = null, IPAddress? bind = null)
    {
        _target = target;
        _bind = bind ?? IPAddress.Loopback;
        Port = port;
        _delay = delay ?? (() => TimeSpan.Zero);
        Restore();
    }

    /// <summary>The port the replica connects to.</summary>
    public int Port { get; }

    public void Restore()
    {
        if (_listener is not null) return;
        _cts = new CancellationTokenSource();
        _listener = new TcpListener(_bind, Port);
        _listener.Server.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        _listener.Start();
        var listener = _listener;
        var ct = _cts.Token;
        _accepting = Task.Run(async () =>
        {
            while (!ct.IsCancellationRequested)
            {
                Socket client;
                try
                {
                    client = await listener.AcceptSocketAsync(ct);
                }
                catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
                {
                    return;
                }
                _ = Task.Run(() => RelayAsync(client, ct), CancellationToken.None);
            }
        }, CancellationToken.None);
    }

    /// <summary>Drops every connection (RST) and stops listening: connects are refused until <see cref="Restore"/>.</summary>
    public void Cut()
    {
        if (_listener is null) return;
        _cts.Cancel();
        _listener.Stop();
        _listener = null;
        foreach (var socket in _open.Keys)
        {
            try
            {
                socket.LingerState = new LingerOption(true, 0);
                socket.Close();
            }
            catch (ObjectDisposedException)
            {
            }
            _open.TryRemove(socket, out _);
        }
    }

    private async Task RelayAsync(Socket client, CancellationToken ct)
    {
        var server = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        client.NoDelay = true;
        _open[client] = 0;
        _open[server] = 0;
        try
        {
            await server.ConnectAsync(_target, ct);
            await Task.WhenAny(PumpAsync(client, server, ct), PumpAsync(server, client, ct));
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
        finally
        {
            foreach (var s in new[] { client, server })
            {
                _open.TryRemove(s, out _);
                s.Dispose();
            }
        }
    }

    private async Task PumpAsync(Socket from, Socket to, CancellationToken ct)
    {
        var buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                var n = await from.ReceiveAsync(buffer, SocketFlags.None, ct);
                if (n == 0) return;
                var delay = _delay();
                if (delay > TimeSpan.Zero) await Task.Delay(delay, ct);
                var sent = 0;
                while (sent < n) sent += await to.SendAsync(buffer.AsMemory(sent, n - sent), SocketFlags.None, ct);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        Cut();
        await _accepting;
        _cts.Dispose();
    }
}
