using System.Buffers;
using System.IO.Compression;
using FileSwarm.Rpc.Client;
using FileSwarm.Rpc.Tests.Infrastructure;
using FileSwarm.Rpc.Tests.Protos;
using Google.Protobuf;
using Microsoft.AspNetCore.Http;

namespace FileSwarm.Rpc.Tests.Functional;

/// <summary>
/// <see cref="RpcChannel.UnaryAsync{TRequest,TResponse,TResult}(Method{TRequest,TResponse},TRequest,ResponseDecoder{TResult},CallOptions)"/>:
/// the decoder sees the response's serialized bytes, its result is the call's, its errors are the call's status.
/// </summary>
public sealed class ResponseDecoderTests
{
    private static Task<TestServer> EchoServerAsync() => TestServer.StartAsync(probe => probe.Unary<Payload, Payload>("Unary", (request, _) =>
        Task.FromResult(new Payload { Text = request.Text, Body = ByteString.CopyFrom(Pattern(request.ResponseSize)), Count = 7 })));

    [Theory]
    [InlineData(0)]
    [InlineData(10)]
    [InlineData(100_000)]
    public async Task The_decoder_gets_exactly_the_serialized_response_and_its_result_is_the_calls(int size)
    {
        await using var server = await EchoServerAsync();
        var channel = server.CreateChannel();
        var calls = 0;
        byte[]? seen = null;

        var result = await channel.UnaryAsync(TestServer.Unary, new Payload { Text = "decode me", ResponseSize = size }, payload =>
        {
            calls++;
            seen = payload.ToArray();
            return (Length: payload.Length, Text: "from the decoder");
        });

        var expected = new Payload { Text = "decode me", Body = ByteString.CopyFrom(Pattern(size)), Count = 7 }.ToByteArray();
        Assert.Equal(1, calls);
        Assert.Equal(expected, seen);
        Assert.Equal((expected.Length, "from the decoder"), result);
    }

    [Fact]
    public async Task An_RpcException_from_the_decoder_fails_the_call_with_its_status()
    {
        await using var server = await EchoServerAsync();
        var channel = server.CreateChannel();

        var ex = await Assert.ThrowsAsync<RpcException>(() => channel.UnaryAsync<Payload, Payload, int>(
            TestServer.Unary, new Payload(), _ => throw new RpcException(StatusCode.DataLoss, "the decoder says no")));

        Assert.Equal(StatusCode.DataLoss, ex.StatusCode);
        Assert.Equal("the decoder says no", ex.Status.Detail);

        // The channel is fine afterwards.
        Assert.Equal(3, await channel.UnaryAsync(TestServer.Unary, new Payload { ResponseSize = 3 }, payload => Payload.Parser.ParseFrom(payload).Body.Length));
    }

    [Fact]
    public async Task A_protobuf_error_in_the_decoder_is_INTERNAL()
    {
        await using var server = await EchoServerAsync();
        var channel = server.CreateChannel();

        var ex = await Assert.ThrowsAsync<RpcException>(() => channel.UnaryAsync(
            TestServer.Unary,
            new Payload { ResponseSize = 64 },
            payload => Payload.Parser.ParseFrom(Payload.Parser.ParseFrom(payload).Body)));

        Assert.Equal(StatusCode.Internal, ex.StatusCode);
    }

    [Fact]
    public async Task A_server_error_is_the_calls_status_and_the_decoder_is_not_called()
    {
        await using var server = await TestServer.StartAsync(probe => probe.Unary<Payload, Payload>("Unary", (_, _) =>
            throw new RpcException(StatusCode.PermissionDenied, "not for you")));
        var channel = server.CreateChannel();
        var calls = 0;

        var ex = await Assert.ThrowsAsync<RpcException>(() => channel.UnaryAsync(TestServer.Unary, new Payload(), _ => ++calls));

        Assert.Equal(StatusCode.PermissionDenied, ex.StatusCode);
        Assert.Equal("not for you", ex.Status.Detail);
        Assert.Equal(0, calls);
    }

    [Fact]
    public async Task A_deadline_or_a_cancellation_ends_the_call_without_decoding()
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await TestServer.StartAsync(probe => probe.Unary<Payload, Payload>("Unary", async (_, context) =>
        {
            started.TrySetResult();
            await Task.Delay(Timeout.Infinite, context.CancellationToken);
            return new Payload();
        }));
        var channel = server.CreateChannel();
        var calls = 0;

        var late = await Assert.ThrowsAsync<RpcException>(() => Poll.WithinAsync(
            channel.UnaryAsync(TestServer.Unary, new Payload(), _ => ++calls, new CallOptions(Deadline: DateTime.UtcNow.AddMilliseconds(200))),
            "the deadline"));
        Assert.Equal(StatusCode.DeadlineExceeded, late.StatusCode);

        using var cts = new CancellationTokenSource();
        started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var call = channel.UnaryAsync(TestServer.Unary, new Payload(), _ => ++calls, new CallOptions(CancellationToken: cts.Token));
        await Poll.WithinAsync(started.Task, "the handler to start");
        await cts.CancelAsync();
        var cancelled = await Assert.ThrowsAsync<RpcException>(() => Poll.WithinAsync(call, "the call to end"));
        Assert.Equal(StatusCode.Cancelled, cancelled.StatusCode);

        Assert.Equal(0, calls);
    }

    [Fact]
    public async Task A_gzip_compressed_response_reaches_the_decoder_decompressed()
    {
        var message = new Payload { Text = "squeezed", Body = ByteString.CopyFrom(Pattern(20_000)) };
        await using var app = await PlainHttp2App.StartAsync(async http =>
        {
            await http.Request.Body.CopyToAsync(Stream.Null);
            http.Response.ContentType = "application/grpc";
            http.Response.Headers["grpc-encoding"] = "gzip";
            var compressed = Gzip(message.ToByteArray());
            await http.Response.Body.WriteAsync(Protocol.MessageFramingTests.Frame(1, compressed));
            http.Response.AppendTrailer("grpc-status", "0");
        });
        using var channel = new RpcChannel(app.Address);

        var seen = await channel.UnaryAsync(TestServer.Unary, new Payload(), payload => payload.ToArray(), new CallOptions(Deadline: DateTime.UtcNow.AddSeconds(30)));

        Assert.Equal(message.ToByteArray(), seen);
        Assert.True(Gzip(message.ToByteArray()).Length < seen.Length, "the frame was not compressed");
    }

    private static byte[] Pattern(int size) => [.. Enumerable.Range(0, size).Select(i => (byte)(i * 7))];

    private static byte[] Gzip(byte[] data)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Optimal, leaveOpen: true))
        {
            gzip.Write(data);
        }

        return output.ToArray();
    }
}
