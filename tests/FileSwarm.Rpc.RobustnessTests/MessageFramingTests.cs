using FileSwarm.Interop.Testing;
using FileSwarm.Interop.Tests;
using FileSwarm.Rpc.RobustnessTests.Infrastructure;
using Google.Protobuf;

namespace FileSwarm.Rpc.RobustnessTests;

/// <summary>Request bodies that break the length-prefixed message framing, its size limit or its compression.</summary>
public sealed class MessageFramingTests
{
    [Fact]
    public async Task Message_cut_short_by_end_of_stream_is_internal()
    {
        await using var server = await RobustnessServer.StartAsync();
        await using var connection = await server.ConnectAsync();

        var body = GrpcWire.Frame(new byte[10], announcedLength: 100);
        var response = await RawCalls.CallAsync(connection, GrpcWire.UnaryCall, body);

        Assert.Equal(200, response.HttpStatus);
        Assert.Equal((int)StatusCode.Internal, response.GrpcStatus);
        await server.AssertServesAsync(connection);
    }

    [Fact]
    public async Task Oversized_message_is_resource_exhausted_before_its_body_arrives()
    {
        await using var server = await RobustnessServer.StartAsync();
        await using var connection = await server.ConnectAsync();

        // Announce 5 MiB against the default 4 MiB limit, send 1 KiB of it and keep the stream open:
        // the answer can only come from the header.
        var body = GrpcWire.Frame(new byte[1024], announcedLength: 5 * 1024 * 1024);
        var stream = await RawCalls.StartAsync(connection, GrpcWire.UnaryCall, body, endStream: false);
        var response = await connection.ReadResponseAsync(stream, RobustnessServer.Timeout);

        Assert.Equal(200, response.HttpStatus);
        Assert.True(response.EndStream, response.ToString());
        Assert.Equal((int)StatusCode.ResourceExhausted, response.GrpcStatus);
        await server.AssertServesAsync(connection);
    }

    [Fact]
    public async Task Per_service_receive_limit_below_the_servers_applies()
    {
        await using var server = await RobustnessServer.StartAsync(service: TestServiceImpl.Bind().WithMaxReceiveMessageSize(1024));
        await using var connection = await server.ConnectAsync();

        var small = new SimpleRequest { ResponseSize = 1, Payload = new Payload { Body = ByteString.CopyFrom(new byte[512]) } };
        var fits = await RawCalls.CallAsync(connection, GrpcWire.UnaryCall, GrpcWire.Frame(small));
        Assert.Equal(0, fits.GrpcStatus);

        var large = new SimpleRequest { ResponseSize = 1, Payload = new Payload { Body = ByteString.CopyFrom(new byte[2048]) } };
        var response = await RawCalls.CallAsync(connection, GrpcWire.UnaryCall, GrpcWire.Frame(large));
        Assert.Equal((int)StatusCode.ResourceExhausted, response.GrpcStatus);
        await server.AssertServesAsync(connection);
    }

    [Fact]
    public async Task Unary_call_without_a_message_is_internal()
    {
        await using var server = await RobustnessServer.StartAsync();
        await using var connection = await server.ConnectAsync();

        var response = await RawCalls.CallAsync(connection, GrpcWire.EmptyCall, []);

        Assert.Equal((int)StatusCode.Internal, response.GrpcStatus);
        await server.AssertServesAsync(connection);
    }

    [Fact]
    public async Task Unary_call_with_two_messages_is_internal()
    {
        await using var server = await RobustnessServer.StartAsync();
        await using var connection = await server.ConnectAsync();

        var one = GrpcWire.Frame(new Empty());
        var response = await RawCalls.CallAsync(connection, GrpcWire.EmptyCall, [.. one, .. one]);

        Assert.Equal((int)StatusCode.Internal, response.GrpcStatus);
        Assert.Empty(response.Messages());
        await server.AssertServesAsync(connection);
    }

    [Fact]
    public async Task Compressed_flag_without_grpc_encoding_is_internal()
    {
        await using var server = await RobustnessServer.StartAsync();
        await using var connection = await server.ConnectAsync();

        var payload = GrpcWire.Gzip(new SimpleRequest { ResponseSize = 1 }.ToByteArray());
        var response = await RawCalls.CallAsync(connection, GrpcWire.UnaryCall, GrpcWire.Frame(payload, flag: 1));

        Assert.Equal((int)StatusCode.Internal, response.GrpcStatus);
        await server.AssertServesAsync(connection);
    }

    [Fact]
    public async Task Unknown_grpc_encoding_is_unimplemented_with_the_accepted_encodings()
    {
        await using var server = await RobustnessServer.StartAsync();
        await using var connection = await server.ConnectAsync();

        var response = await RawCalls.CallAsync(
            connection, GrpcWire.UnaryCall, GrpcWire.Frame([1, 2, 3], flag: 1), [new("grpc-encoding", "snappy")]);

        Assert.Equal((int)StatusCode.Unimplemented, response.GrpcStatus);
        Assert.True(response.IsTrailersOnly, response.ToString());
        var accepted = response.Header("grpc-accept-encoding");
        Assert.NotNull(accepted);
        Assert.Contains("gzip", accepted.Split(',', StringSplitOptions.TrimEntries));
        Assert.DoesNotContain("snappy", accepted.Split(',', StringSplitOptions.TrimEntries));
        await server.AssertServesAsync(connection);
    }

    [Fact]
    public async Task Gzip_compressed_message_is_read()
    {
        await using var server = await RobustnessServer.StartAsync();
        await using var connection = await server.ConnectAsync();

        var request = new SimpleRequest { ResponseSize = 7, Payload = new Payload { Body = ByteString.CopyFrom(new byte[3000]) } };
        var response = await RawCalls.CallAsync(
            connection, GrpcWire.UnaryCall, GrpcWire.Frame(GrpcWire.Gzip(request.ToByteArray()), flag: 1), [new("grpc-encoding", "gzip")]);

        Assert.Equal(0, response.GrpcStatus);
        var message = Assert.Single(response.Messages());
        Assert.Equal(0, message.Flag);
        Assert.Equal(7, SimpleResponse.Parser.ParseFrom(message.Payload).Payload.Body.Length);
        await server.AssertServesAsync(connection);
    }
}
