using FileSwarm.Rpc.RobustnessTests.Http2;

namespace FileSwarm.Rpc.RobustnessTests.Infrastructure;

public static class RawCalls
{
    /// <summary>Opens a stream with gRPC request headers (plus <paramref name="extra"/>) and sends <paramref name="body"/>.</summary>
    public static async Task<int> StartAsync(
        RawHttp2Connection connection, string path, byte[] body, IEnumerable<HeaderField>? extra = null, bool endStream = true)
    {
        var stream = connection.NextStreamId();
        await connection.SendHeadersAsync(stream, GrpcWire.RequestHeaders(path, extra), endStream: false);
        if (body.Length > 0 || endStream)
        {
            await connection.SendDataAsync(stream, body, endStream);
        }

        return stream;
    }

    /// <summary>Sends a whole request and reads the whole response.</summary>
    public static async Task<RawResponse> CallAsync(
        RawHttp2Connection connection, string path, byte[] body, IEnumerable<HeaderField>? extra = null)
    {
        var stream = await StartAsync(connection, path, body, extra);
        return await connection.ReadResponseAsync(stream, RobustnessServer.Timeout);
    }
}
