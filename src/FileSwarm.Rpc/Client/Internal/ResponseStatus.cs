using System.Net;
using System.Net.Http.Headers;
using FileSwarm.Rpc.Internal;

namespace FileSwarm.Rpc.Client.Internal;

/// <summary>Reads a call's status and metadata off an HTTP/2 response: headers, Trailers-Only, trailers, or the HTTP status.</summary>
internal static class ResponseStatus
{
    /// <summary>The status when the headers already end the call; null when messages and trailers follow.</summary>
    public static Status? FromHeaders(HttpResponseMessage response)
    {
        var hasStatus = response.Headers.TryGetValues(GrpcProtocol.StatusHeader, out var statusValues);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            return hasStatus
                ? ReadStatus(statusValues!, response.Headers)
                : new Status(GrpcProtocol.FromHttpStatus((int)response.StatusCode), $"Bad gRPC response. HTTP status code: {(int)response.StatusCode}");
        }

        if (hasStatus)
        {
            return ReadStatus(statusValues!, response.Headers);
        }

        var contentType = response.Content.Headers.ContentType?.ToString();
        return GrpcProtocol.IsGrpcContentType(contentType)
            ? null
            : new Status(StatusCode.Unknown, $"Bad gRPC response. Invalid content-type value: {contentType}");
    }

    public static Status FromTrailers(HttpResponseHeaders trailers) =>
        trailers.TryGetValues(GrpcProtocol.StatusHeader, out var values)
            ? ReadStatus(values, trailers)
            : new Status(StatusCode.Unknown, "No grpc-status found on response.");

    private static Status ReadStatus(IEnumerable<string> statusValues, HttpHeaders headers)
    {
        var raw = statusValues.FirstOrDefault();
        if (!GrpcProtocol.TryParseStatus(raw, out var code))
        {
            return new Status(StatusCode.Unknown, $"Unexpected grpc-status value: {raw}");
        }

        var message = headers.TryGetValues(GrpcProtocol.MessageHeader, out var messages) ? messages.FirstOrDefault() : null;
        return new Status(code, GrpcProtocol.DecodeMessage(message));
    }

    public static Metadata ToMetadata(HttpHeaders headers)
    {
        var metadata = new Metadata();
        foreach (var (name, values) in headers)
        {
            GrpcProtocol.AddHeaderToMetadata(metadata, name, values);
        }

        return metadata;
    }
}
