using Microsoft.Extensions.Logging;

namespace FileSwarm.Rpc.Server.Internal;

/// <summary>What every call on one server shares.</summary>
internal sealed record ServerRuntime(RpcServerOptions Options, ILogger Logger, TimeProvider TimeProvider);

/// <summary>A bound method: runs one call on an HTTP/2 request.</summary>
internal interface IServerMethod
{
    string FullName { get; }

    Task HandleAsync(Microsoft.AspNetCore.Http.HttpContext http, ServerRuntime runtime);
}

/// <summary>The part of a running call that <see cref="ServerCallContext"/> exposes to handlers.</summary>
internal interface IServerCallState
{
    CancellationToken CancellationToken { get; }

    Task WriteResponseHeadersAsync(Metadata headers);
}
