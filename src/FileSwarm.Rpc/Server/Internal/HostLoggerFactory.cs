using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace FileSwarm.Rpc.Server.Internal;

/// <summary>
/// The logger factory the server's web host gets: the application's, except that ASP.NET Core's per-request hosting
/// diagnostics get no logger. While that category's logger is enabled at any level, the host starts an
/// <see cref="System.Diagnostics.Activity"/> and a log scope for every request whether or not anything is ever logged
/// (4 % of a tracker's CPU under announce load); the server logs its calls itself (<see cref="RpcServerLog"/>).
/// Tracing still works: an <see cref="System.Diagnostics.ActivityListener"/> makes the host start activities anyway.
/// The application owns the wrapped factory, so disposing this one does nothing.
/// </summary>
internal sealed class HostLoggerFactory(ILoggerFactory application) : ILoggerFactory
{
    internal const string RequestDiagnosticsCategory = "Microsoft.AspNetCore.Hosting.Diagnostics";

    public ILogger CreateLogger(string categoryName) =>
        categoryName == RequestDiagnosticsCategory ? NullLogger.Instance : application.CreateLogger(categoryName);

    public void AddProvider(ILoggerProvider provider) => application.AddProvider(provider);

    public void Dispose()
    {
    }
}
