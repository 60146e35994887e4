using System.Net;
using FileSwarm.Rpc.Health;
using FileSwarm.Rpc.Server.Internal;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace FileSwarm.Rpc.Server;

/// <summary>
/// A gRPC server on Kestrel: HTTP/2 cleartext by prior knowledge, or TLS with ALPN when a
/// certificate is given. The standard health service is always registered.
/// </summary>
public sealed class RpcServer : IAsyncDisposable
{
    private readonly RpcServerOptions _options;
    private readonly ILoggerFactory _loggerFactory;
    private readonly List<RpcServiceBuilder> _services = [];
    private WebApplication? _app;

    public RpcServer(RpcServerOptions options, ILoggerFactory? loggerFactory = null)
    {
        _options = options ?? throw new ArgumentNullException(nameof(options));
        _loggerFactory = loggerFactory ?? NullLoggerFactory.Instance;
        Health = new HealthService();
        _services.Add(Health.Bind());
    }

    /// <summary>The <c>grpc.health.v1.Health</c> service; set statuses on it.</summary>
    public HealthService Health { get; }

    /// <summary>The endpoints bound, with the real ports; empty before start.</summary>
    public IReadOnlyList<IPEndPoint> EndPoints { get; private set; } = [];

    /// <summary>The address of the first endpoint, e.g. <c>http://127.0.0.1:50051</c>.</summary>
    public Uri Address => EndPoints.Count == 0
        ? throw new InvalidOperationException("The server has not started.")
        : new Uri($"{(_options.Certificate is null ? "http" : "https")}://{FormatHost(EndPoints[0])}");

    public RpcServer AddService(RpcServiceBuilder service)
    {
        ArgumentNullException.ThrowIfNull(service);
        if (_app is not null)
        {
            throw new InvalidOperationException("Services must be added before the server starts.");
        }

        _services.Add(service);
        return this;
    }

    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        if (_app is not null)
        {
            throw new InvalidOperationException("The server has already started.");
        }

        _options.Validate();
        var logger = _loggerFactory.CreateLogger("FileSwarm.Rpc.Server");
        var dispatcher = new RpcDispatcher(_services, new ServerRuntime(_options, logger, _options.TimeProvider));

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton<ILoggerFactory>(new HostLoggerFactory(_loggerFactory));
        // A library server must leave the process's signals (Ctrl-C, SIGTERM) to the application.
        builder.Services.AddSingleton<IHostLifetime, EmbeddedHostLifetime>();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = null;
            kestrel.Limits.MinRequestBodyDataRate = null;
            kestrel.Limits.Http2.MaxStreamsPerConnection = _options.MaxStreamsPerConnection;
            kestrel.Limits.Http2.InitialStreamWindowSize = _options.InitialStreamWindowSize;
            kestrel.Limits.Http2.InitialConnectionWindowSize = _options.InitialConnectionWindowSize;
            foreach (var endPoint in _options.EndPoints)
            {
                kestrel.Listen(endPoint, listen =>
                {
                    if (_options.Certificate is { } certificate)
                    {
                        listen.Protocols = HttpProtocols.Http1AndHttp2;
                        listen.UseHttps(certificate);
                    }
                    else
                    {
                        // Cleartext HTTP/2 cannot be negotiated: prior knowledge only.
                        listen.Protocols = HttpProtocols.Http2;
                    }
                });
            }
        });

        var app = builder.Build();
        app.Run(dispatcher.InvokeAsync);
        await app.StartAsync(cancellationToken);
        _app = app;

        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        EndPoints = [.. addresses.Select(ParseEndPoint)];
        foreach (var address in addresses)
        {
            logger.Listening(address);
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        if (_app is { } app)
        {
            await app.StopAsync(cancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is { } app)
        {
            _app = null;
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }

    private static IPEndPoint ParseEndPoint(string address)
    {
        var uri = new Uri(address);
        return new IPEndPoint(IPAddress.Parse(uri.Host.Trim('[', ']')), uri.Port);
    }

    private static string FormatHost(IPEndPoint endPoint) =>
        endPoint.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{endPoint.Address}]:{endPoint.Port}" : endPoint.ToString();

    /// <summary>Starts and stops with <see cref="RpcServer"/> and nothing else: no console or signal handling.</summary>
    private sealed class EmbeddedHostLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
