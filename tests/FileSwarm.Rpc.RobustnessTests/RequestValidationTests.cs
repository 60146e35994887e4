using System.Net.Security;
using System.Net.Sockets;
using System.Text;
using FileSwarm.Rpc.RobustnessTests.Infrastructure;

namespace FileSwarm.Rpc.RobustnessTests;

/// <summary>Requests that never become calls: wrong method, content-type, protocol, path.</summary>
public sealed class RequestValidationTests
{
    [Fact]
    public async Task Wrong_content_type_gets_415_and_internal_in_a_trailers_only_response()
    {
        await using var server = await RobustnessServer.StartAsync();
        await using var connection = await server.ConnectAsync();

        var stream = connection.NextStreamId();
        await connection.SendHeadersAsync(stream, GrpcWire.RequestHeaders(GrpcWire.EmptyCall, contentType: "text/plain"), endStream: false);
        await connection.SendDataAsync(stream, GrpcWire.Frame(new FileSwarm.Interop.Testing.Empty()), endStream: true);
        var response = await connection.ReadResponseAsync(stream, RobustnessServer.Timeout);

        Assert.Equal(415, response.HttpStatus);
        Assert.True(response.IsTrailersOnly, response.ToString());
        Assert.Equal((int)StatusCode.Internal, response.GrpcStatus);
        await server.AssertServesAsync(connection);
    }

    [Fact]
    public async Task Get_gets_405_and_internal()
    {
        await using var server = await RobustnessServer.StartAsync();
        await using var connection = await server.ConnectAsync();

        var stream = connection.NextStreamId();
        await connection.SendHeadersAsync(stream, GrpcWire.RequestHeaders(GrpcWire.EmptyCall, method: "GET"), endStream: true);
        var response = await connection.ReadResponseAsync(stream, RobustnessServer.Timeout);

        Assert.Equal(405, response.HttpStatus);
        Assert.True(response.IsTrailersOnly, response.ToString());
        Assert.Equal((int)StatusCode.Internal, response.GrpcStatus);
        await server.AssertServesAsync(connection);
    }

    [Theory]
    [InlineData("/grpc.testing.TestService/NoSuchMethod")]
    [InlineData("/grpc.testing.UnimplementedService/UnimplementedCall")]
    [InlineData("/no.such.Service/Method")]
    public async Task Unknown_method_or_service_gets_unimplemented_trailers_only(string path)
    {
        await using var server = await RobustnessServer.StartAsync();
        await using var connection = await server.ConnectAsync();

        var stream = connection.NextStreamId();
        await connection.SendHeadersAsync(stream, GrpcWire.RequestHeaders(path), endStream: false);
        await connection.SendDataAsync(stream, GrpcWire.Frame(new FileSwarm.Interop.Testing.Empty()), endStream: true);
        var response = await connection.ReadResponseAsync(stream, RobustnessServer.Timeout);

        Assert.Equal(200, response.HttpStatus);
        Assert.True(response.IsTrailersOnly, response.ToString());
        Assert.Equal(0, response.DataFrameCount);
        Assert.Equal((int)StatusCode.Unimplemented, response.GrpcStatus);
        Assert.Equal("application/grpc", response.Header("content-type"));
        await server.AssertServesAsync(connection);
    }

    [Fact]
    public async Task Http11_request_on_the_h2c_port_is_refused_and_the_server_keeps_serving()
    {
        await using var server = await RobustnessServer.StartAsync();

        using var tcp = new TcpClient();
        await tcp.ConnectAsync(server.EndPoint);
        var stream = tcp.GetStream();
        var request = "POST /grpc.testing.TestService/EmptyCall HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/grpc\r\nContent-Length: 5\r\n\r\n\0\0\0\0\0"u8.ToArray();
        await stream.WriteAsync(request);
        var reply = await ReadToEndAsync(stream, RobustnessServer.Timeout);

        // Kestrel recognises the HTTP/1.x request line in place of the preface, answers with a
        // plain HTTP/1.1 400 and closes the connection (ReadToEndAsync saw the end of the stream).
        var text = Encoding.Latin1.GetString(reply);
        Assert.StartsWith("HTTP/1.1 400 Bad Request\r\n", text, StringComparison.Ordinal);
        Assert.Contains("\r\nConnection: close\r\n", text, StringComparison.Ordinal);
        Assert.EndsWith("\r\n\r\nAn HTTP/1.x request was sent to an HTTP/2 only endpoint.", text, StringComparison.Ordinal);
        Assert.DoesNotContain("grpc-status", text, StringComparison.OrdinalIgnoreCase);
        await using var fresh = await server.ConnectAsync();
        await server.AssertServesAsync(fresh);
    }

    [Fact]
    public async Task Http11_request_over_tls_gets_426_and_internal()
    {
        using var certificate = FileSwarm.Rpc.Tests.Infrastructure.TestCertificates.CreateServerCertificate();
        await using var server = await RobustnessServer.StartAsync(options => options.Certificate = certificate);

        using var tcp = new TcpClient();
        await tcp.ConnectAsync(server.EndPoint);
        await using var tls = new SslStream(tcp.GetStream());
        using (var cts = new CancellationTokenSource(RobustnessServer.Timeout))
        {
            await tls.AuthenticateAsClientAsync(
                new SslClientAuthenticationOptions
                {
                    TargetHost = "localhost",
                    ApplicationProtocols = [SslApplicationProtocol.Http11],
                    RemoteCertificateValidationCallback = (_, _, _, _) => true,
                },
                cts.Token);
        }

        Assert.Equal(SslApplicationProtocol.Http11, tls.NegotiatedApplicationProtocol);
        var request = "POST /grpc.testing.TestService/EmptyCall HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/grpc\r\nTE: trailers\r\nContent-Length: 5\r\n\r\n\0\0\0\0\0"u8.ToArray();
        await tls.WriteAsync(request);
        var head = await ReadHeadAsync(tls, RobustnessServer.Timeout);

        var lines = head.Split("\r\n");
        Assert.Equal("HTTP/1.1 426 Upgrade Required", lines[0]);
        var headers = lines.Skip(1).Where(l => l.Length > 0)
            .Select(l => l.Split(':', 2))
            .ToDictionary(p => p[0], p => p[1].Trim(), StringComparer.OrdinalIgnoreCase);
        Assert.Equal("13", headers["grpc-status"]);
        Assert.Equal("application/grpc", headers["content-type"]);
        await server.AssertServesAsync(null);
    }

    /// <summary>Reads an HTTP/1.1 response up to the blank line after its headers.</summary>
    private static async Task<string> ReadHeadAsync(Stream stream, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        var received = new List<byte>();
        var buffer = new byte[1];
        while (!Encoding.Latin1.GetString([.. received]).EndsWith("\r\n\r\n", StringComparison.Ordinal))
        {
            var read = await stream.ReadAsync(buffer, cts.Token);
            if (read == 0)
            {
                throw new IOException($"Connection closed inside the response head: {Encoding.Latin1.GetString([.. received])}");
            }

            received.Add(buffer[0]);
        }

        return Encoding.Latin1.GetString([.. received]);
    }

    private static async Task<byte[]> ReadToEndAsync(Stream stream, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        using var output = new MemoryStream();
        var buffer = new byte[4096];
        while (true)
        {
            int read;
            try
            {
                read = await stream.ReadAsync(buffer, cts.Token);
            }
            catch (IOException)
            {
                break; // reset by the peer: the connection is over either way
            }

            if (read == 0)
            {
                break;
            }

            output.Write(buffer, 0, read);
        }

        return output.ToArray();
    }
}
