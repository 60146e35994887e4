using System.Diagnostics;
using FileSwarm.Rpc.Tests.Infrastructure;
using FileSwarm.Rpc.Tests.Protos;

namespace FileSwarm.Rpc.Tests.Functional;

/// <summary>The web host under the server does no per-request logging work of its own, and tracing still works.</summary>
public sealed class HostDiagnosticsTests
{
    private const string HostingDiagnostics = "Microsoft.AspNetCore.Hosting.Diagnostics";

    [Fact]
    public async Task Calls_start_no_host_activity_or_request_log_unless_a_tracer_listens()
    {
        Activity? seen = null;
        await using var server = await TestServer.StartAsync(probe => probe.Unary<Payload, Payload>("Unary", (request, _) =>
        {
            seen = Activity.Current;
            return Task.FromResult(request);
        }));
        var channel = server.CreateChannel();

        // The test server logs at every level, which made the host start an activity and a log scope per request.
        await channel.UnaryAsync(TestServer.Unary, new Payload());
        Assert.Null(seen);
        Assert.DoesNotContain(server.Logs.Entries, entry => entry.Category == HostingDiagnostics);

        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == "Microsoft.AspNetCore",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllData,
        };
        ActivitySource.AddActivityListener(listener);
        await channel.UnaryAsync(TestServer.Unary, new Payload());
        Assert.NotNull(seen);
        Assert.Equal("Microsoft.AspNetCore", seen.Source.Name);
    }
}
