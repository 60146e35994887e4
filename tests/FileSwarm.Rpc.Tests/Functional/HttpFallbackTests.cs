using FileSwarm.Rpc.Client;
using FileSwarm.Rpc.Tests.Infrastructure;
using FileSwarm.Rpc.Tests.Protos;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace FileSwarm.Rpc.Tests.Functional;

/// <summary>
/// What the channel reports when the peer is an HTTP/2 server but not a proper gRPC one: an HTTP status
/// without grpc-status, a foreign content-type, a reset stream.
/// </summary>
public sealed class HttpFallbackTests : IAsyncLifetime
{
    private const string StatusKey = "x-http-status";
    private const string ContentTypeKey = "x-content-type";
    private const string ResetKey = "x-reset";
    private const string ResetAfterMessageKey = "x-reset-after-message";

    private PlainHttp2App? _app;
    private RpcChannel? _channel;

    private RpcChannel Channel => _channel!;

    public async Task InitializeAsync()
    {
        _app = await PlainHttp2App.StartAsync(AnswerAsync);
        _channel = new RpcChannel(_app.Address);
    }

    public async Task DisposeAsync()
    {
        _channel?.Dispose();
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }

    [Theory]
    [InlineData(400, StatusCode.Internal)]
    [InlineData(431, StatusCode.Internal)]
    [InlineData(401, StatusCode.Unauthenticated)]
    [InlineData(403, StatusCode.PermissionDenied)]
    [InlineData(404, StatusCode.Unimplemented)]
    [InlineData(429, StatusCode.Unavailable)]
    [InlineData(502, StatusCode.Unavailable)]
    [InlineData(503, StatusCode.Unavailable)]
    [InlineData(504, StatusCode.Unavailable)]
    [InlineData(500, StatusCode.Unknown)]
    public async Task An_http_error_without_grpc_status_maps_to_its_code(int httpStatus, StatusCode expected)
    {
        var ex = await Assert.ThrowsAsync<RpcException>(() =>
            Channel.UnaryAsync(TestServer.Unary, new Payload(), Headers(new Metadata().Add(StatusKey, httpStatus.ToString(System.Globalization.CultureInfo.InvariantCulture)))));

        Assert.Equal(expected, ex.StatusCode);
        Assert.Contains(httpStatus.ToString(System.Globalization.CultureInfo.InvariantCulture), ex.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_200_with_a_grpc_content_type_but_no_grpc_status_is_UNKNOWN_not_success()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(() =>
            Channel.UnaryAsync(TestServer.Unary, new Payload(), Headers(new Metadata().Add(StatusKey, "200"))));

        Assert.Equal(StatusCode.Unknown, ex.StatusCode);
    }

    [Fact]
    public async Task A_200_with_a_foreign_content_type_is_UNKNOWN()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(() =>
            Channel.UnaryAsync(TestServer.Unary, new Payload(), Headers(new Metadata().Add(StatusKey, "200").Add(ContentTypeKey, "text/html"))));

        Assert.Equal(StatusCode.Unknown, ex.StatusCode);
        Assert.Contains("text/html", ex.Status.Detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0x8, StatusCode.Cancelled)]
    [InlineData(0x7, StatusCode.Unavailable)]
    [InlineData(0xB, StatusCode.ResourceExhausted)]
    [InlineData(0xC, StatusCode.PermissionDenied)]
    [InlineData(0x2, StatusCode.Internal)]
    public async Task A_stream_reset_before_the_response_maps_to_its_code(int errorCode, StatusCode expected)
    {
        var ex = await Assert.ThrowsAsync<RpcException>(() =>
            Poll.WithinAsync(
                Channel.UnaryAsync(TestServer.Unary, new Payload(), Headers(new Metadata().Add(ResetKey, errorCode.ToString(System.Globalization.CultureInfo.InvariantCulture)))),
                "the call to end"));

        Assert.Equal(expected, ex.StatusCode);
    }

    [Theory]
    [InlineData(0x8, StatusCode.Cancelled)]
    [InlineData(0xB, StatusCode.ResourceExhausted)]
    [InlineData(0x2, StatusCode.Internal)]
    public async Task A_stream_reset_after_a_message_maps_to_its_code(int errorCode, StatusCode expected)
    {
        using var call = Channel.DuplexStreamingCall(
            TestServer.Duplex, Headers(new Metadata().Add(ResetAfterMessageKey, errorCode.ToString(System.Globalization.CultureInfo.InvariantCulture))));

        Assert.True(await call.ResponseStream.MoveNext());
        Assert.Equal("before the reset", call.ResponseStream.Current.Text);

        // The app resets the stream once the request stream ends, so the message was read first.
        await call.RequestStream.CompleteAsync();
        var ex = await Assert.ThrowsAsync<RpcException>(() => Poll.WithinAsync(call.ResponseStream.MoveNext(), "the read to end"));
        Assert.Equal(expected, ex.StatusCode);
    }

    private static CallOptions Headers(Metadata metadata) => new(metadata, DateTime.UtcNow.AddSeconds(30));

    private static async Task AnswerAsync(HttpContext http)
    {
        var request = http.Request;
        if (request.Headers[ResetAfterMessageKey].ToString() is { Length: > 0 } resetLater)
        {
            http.Response.ContentType = "application/grpc";
            var message = Protocol.MessageFramingTests.Frame(0, Google.Protobuf.MessageExtensions.ToByteArray(new Payload { Text = "before the reset" }));
            await http.Response.Body.WriteAsync(message);
            await http.Response.Body.FlushAsync();
            await request.Body.CopyToAsync(Stream.Null);
            http.Features.Get<IHttpResetFeature>()!.Reset(int.Parse(resetLater, System.Globalization.CultureInfo.InvariantCulture));
            return;
        }

        await request.Body.CopyToAsync(Stream.Null);
        if (request.Headers[ResetKey].ToString() is { Length: > 0 } reset)
        {
            http.Features.Get<IHttpResetFeature>()!.Reset(int.Parse(reset, System.Globalization.CultureInfo.InvariantCulture));
            return;
        }

        http.Response.StatusCode = int.Parse(request.Headers[StatusKey].ToString(), System.Globalization.CultureInfo.InvariantCulture);
        http.Response.ContentType = request.Headers[ContentTypeKey].ToString() is { Length: > 0 } contentType ? contentType : "application/grpc";
        if (http.Response.StatusCode != StatusCodes.Status200OK || http.Response.ContentType != "application/grpc")
        {
            await http.Response.WriteAsync("not a gRPC answer");
        }
    }
}
