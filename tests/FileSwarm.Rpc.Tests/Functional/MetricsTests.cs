using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using FileSwarm.Rpc.Tests.Infrastructure;
using FileSwarm.Rpc.Tests.Protos;

namespace FileSwarm.Rpc.Tests.Functional;

public sealed class MetricsTests
{
    [Fact]
    public async Task A_call_is_counted_on_both_sides_with_its_method_and_status()
    {
        // Only this test calls Metered, so other tests running in parallel do not disturb the counts.
        var method = TestServer.Metered.FullName;
        var seen = new ConcurrentQueue<(string Instrument, long Value, int? Status)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "FileSwarm.Rpc")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            string? path = null;
            int? status = null;
            foreach (var tag in tags)
            {
                if (tag.Key == "rpc.method")
                {
                    path = tag.Value as string;
                }
                else if (tag.Key == "rpc.grpc.status_code")
                {
                    status = tag.Value as int?;
                }
            }

            if (path == method)
            {
                seen.Enqueue((instrument.Name, value, status));
            }
        });
        listener.Start();

        await using var server = await TestServer.StartAsync(probe => probe.Unary<Payload, Payload>("Metered", (request, _) =>
            request.Count < 0 ? throw new RpcException(StatusCode.InvalidArgument, "negative") : Task.FromResult(request)));
        var channel = server.CreateChannel();

        await channel.UnaryAsync(TestServer.Metered, new Payload { Count = 1 });
        await Assert.ThrowsAsync<RpcException>(() => channel.UnaryAsync(TestServer.Metered, new Payload { Count = -1 }));

        var expected = new[]
        {
            ("rpc.server.calls.started", 1L, (int?)null), ("rpc.server.calls.started", 1L, null),
            ("rpc.client.calls.started", 1L, null), ("rpc.client.calls.started", 1L, null),
            ("rpc.server.calls.completed", 1L, 0), ("rpc.server.calls.completed", 1L, 3),
            ("rpc.client.calls.completed", 1L, 0), ("rpc.client.calls.completed", 1L, 3),
        };
        await Poll.UntilAsync(() => seen.Count >= expected.Length, "every call is counted");
        Assert.Equal(expected.Order(), seen.Order());
    }
}
