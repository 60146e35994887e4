using FileSwarm.Rpc.Internal;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace FileSwarm.Rpc.Server.Internal;

/// <summary>Writes gRPC statuses onto Kestrel responses: Trailers-Only before the body, trailers after it.</summary>
internal static class GrpcResponse
{
    /// <summary>Sets the headers a gRPC response starts with.</summary>
    public static void SetResponseHeaders(HttpResponse response, Metadata? metadata)
    {
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = GrpcProtocol.ContentType;
        response.Headers[GrpcProtocol.AcceptEncodingHeader] = GrpcProtocol.AcceptedEncodings;
        if (metadata is not null)
        {
            AppendMetadata(response.Headers, metadata);
        }
    }

    /// <summary>
    /// Puts the status into the headers: a Trailers-Only response, one HEADERS frame with END_STREAM,
    /// used when the call ends before any message was sent.
    /// </summary>
    public static void SetTrailersOnly(HttpResponse response, int httpStatus, Status status, Metadata? trailers)
    {
        SetResponseHeaders(response, null);
        response.StatusCode = httpStatus;
        response.Headers[GrpcProtocol.StatusHeader] = GrpcProtocol.StatusToString(status.Code);
        if (!string.IsNullOrEmpty(status.Detail))
        {
            response.Headers[GrpcProtocol.MessageHeader] = GrpcProtocol.EncodeMessage(status.Detail);
        }

        if (trailers is not null)
        {
            AppendMetadata(response.Headers, trailers);
        }
    }

    /// <summary>Appends the status to the trailers of a response whose headers have gone out.</summary>
    public static void SetTrailers(HttpResponse response, Status status, Metadata? trailers)
    {
        var feature = response.HttpContext.Features.Get<IHttpResponseTrailersFeature>()
            ?? throw new InvalidOperationException("The transport does not support trailers.");
        var target = feature.Trailers;
        target[GrpcProtocol.StatusHeader] = GrpcProtocol.StatusToString(status.Code);
        if (!string.IsNullOrEmpty(status.Detail))
        {
            target[GrpcProtocol.MessageHeader] = GrpcProtocol.EncodeMessage(status.Detail);
        }

        if (trailers is not null)
        {
            AppendMetadata(target, trailers);
        }
    }

    /// <summary>Answers a request that never became a call (bad protocol, content-type, unknown method).</summary>
    public static Task WriteEarlyErrorAsync(HttpContext http, int httpStatus, Status status, Metadata? trailers = null)
    {
        SetTrailersOnly(http.Response, httpStatus, status, trailers);
        return http.Response.CompleteAsync();
    }

    private static void AppendMetadata(IHeaderDictionary headers, Metadata metadata)
    {
        foreach (var entry in metadata)
        {
            if (!GrpcProtocol.IsReservedHeader(entry.Key))
            {
                headers.Append(entry.Key, entry.Value);
            }
        }
    }
}
