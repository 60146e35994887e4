using System.Net;
using FileSwarm.Interop.Testing;
using FileSwarm.Interop.Tests;
using FileSwarm.Rpc.Client;
using FileSwarm.Rpc.RobustnessTests.Http2;
using FileSwarm.Rpc.Server;
using Microsoft.Extensions.Logging;

namespace FileSwarm.Rpc.RobustnessTests.Infrastructure;

/// <summary>
/// FileSwarm's server with grpc.testing.TestService on 127.0.0.1, port 0, logging everything to a
/// recorder. Disposing it stops the server and then fails the test if anything was logged at Error
/// or above that the test did not declare as expected (grpc-dotnet's VerifyNoErrorsScope idea).
/// </summary>
public sealed class RobustnessServer : IAsyncDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    private static readonly Method<Empty, Empty> EmptyCallMethod =
        Method.Create<Empty, Empty>(TestReflection.Descriptor.Services.Single(s => s.Name == "TestService"), "EmptyCall");

    private readonly ILoggerFactory _loggerFactory;
    private readonly List<Func<LogEntry, bool>> _expectedErrors = [];
    private bool _disposed;

    private RobustnessServer(RpcServer server, RecordingLoggerProvider logs, ILoggerFactory loggerFactory, bool tls)
    {
        Server = server;
        Logs = logs;
        _loggerFactory = loggerFactory;
        IsTls = tls;
    }

    public RpcServer Server { get; }

    public RecordingLoggerProvider Logs { get; }

    public bool IsTls { get; }

    public IPEndPoint EndPoint => Server.EndPoints[0];

    public static async Task<RobustnessServer> StartAsync(Action<RpcServerOptions>? configure = null, RpcServiceBuilder? service = null)
    {
        var logs = new RecordingLoggerProvider();
        var loggerFactory = LoggerFactory.Create(builder => builder.AddProvider(logs).SetMinimumLevel(LogLevel.Trace));
        var options = new RpcServerOptions();
        options.EndPoints.Add(new IPEndPoint(IPAddress.Loopback, 0));
        configure?.Invoke(options);
        var server = new RpcServer(options, loggerFactory).AddService(service ?? TestServiceImpl.Bind());
        try
        {
            using var cts = new CancellationTokenSource(Timeout);
            await server.StartAsync(cts.Token);
        }
        catch (Exception ex)
        {
            await server.DisposeAsync();
            loggerFactory.Dispose();
            throw new InvalidOperationException($"The server did not start. Logged:{Environment.NewLine}{logs.Dump()}", ex);
        }

        return new RobustnessServer(server, logs, loggerFactory, options.Certificate is not null);
    }

    /// <summary>Declares error-level log entries this test provokes on purpose.</summary>
    public void ExpectErrors(Func<LogEntry, bool> match) => _expectedErrors.Add(match);

    public Task<RawHttp2Connection> ConnectAsync() => RawHttp2Connection.ConnectAsync(EndPoint, Timeout);

    public RpcChannel CreateChannel() => new(Server.Address, new RpcChannelOptions
    {
        RemoteCertificateValidation = IsTls ? (_, _, _, _) => true : null,
    });

    /// <summary>
    /// The server still serves: EmptyCall succeeds on a new stream of <paramref name="connection"/>
    /// (when given) and through a fresh <see cref="RpcChannel"/>.
    /// </summary>
    public async Task AssertServesAsync(RawHttp2Connection? connection)
    {
        if (connection is not null)
        {
            var stream = connection.NextStreamId();
            await connection.SendHeadersAsync(stream, GrpcWire.RequestHeaders(GrpcWire.EmptyCall), endStream: false);
            await connection.SendDataAsync(stream, GrpcWire.Frame(new Empty()), endStream: true);
            var response = await connection.ReadResponseAsync(stream, Timeout);
            Assert.True(response.HttpStatus == 200 && response.GrpcStatus == 0, $"EmptyCall on the same connection failed: {response}");
            Assert.Single(response.Messages());
        }

        using var channel = CreateChannel();
        var reply = await channel.UnaryAsync(EmptyCallMethod, new Empty(), CallOptions.WithTimeout(Timeout));
        Assert.NotNull(reply);
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        await Server.DisposeAsync();
        _loggerFactory.Dispose();
        var unexpected = Logs.Entries
            .Where(e => e.Level >= LogLevel.Error && !_expectedErrors.Any(match => match(e)))
            .ToList();
        Assert.True(unexpected.Count == 0, $"Unexpected error logs:{Environment.NewLine}{string.Join(Environment.NewLine, unexpected)}");
    }
}
