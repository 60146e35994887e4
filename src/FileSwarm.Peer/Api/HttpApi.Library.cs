using System.Globalization;
using FileSwarm.Peer.Library;
using Microsoft.AspNetCore.Http;

namespace FileSwarm.Peer.Api;

public sealed partial class HttpApi
{
    private static readonly Lazy<byte[]> OpenApiDocument = new(LoadOpenApiDocument);

    /// <summary><c>GET /library</c>: every file this peer holds, shared or downloaded, with its state.</summary>
    private Task ListLibraryAsync(HttpContext context)
    {
        var entries = _library.Entries.OrderBy(e => e.Metainfo.Name, StringComparer.Ordinal).ToList();
        return ApiJson.WriteAsync(context, 200, w =>
        {
            w.WriteStartObject();
            w.WriteString("count", entries.Count.ToString(CultureInfo.InvariantCulture));
            w.WritePropertyName("files");
            w.WriteStartArray();
            foreach (var entry in entries)
            {
                var complete = entry.Store.IsComplete;
                w.WriteStartObject();
                w.WriteString("hash", entry.Info.Hash);
                w.WriteString("name", entry.Info.Name);
                w.WriteString("sha1", entry.Info.Sha1);
                w.WriteString("length", entry.Info.Length.ToString(CultureInfo.InvariantCulture));
                w.WriteString("role", entry.Role == LibraryRole.Shared ? "shared" : "download");
                w.WriteString("state", entry.Download?.Progress.State.ToString().ToLowerInvariant() ?? (complete ? "complete" : "stopped"));
                w.WriteBoolean("complete", complete);
                w.WriteString("path", entry.ContentPaths.Count == 1 ? entry.ContentPaths[0] : entry.ContentDirectory);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        });
    }

    /// <summary><c>GET /openapi.json</c>: the OpenAPI 3.1 description of this API (Api/openapi.json, embedded).</summary>
    private static Task OpenApiAsync(HttpContext context)
    {
        var bytes = OpenApiDocument.Value;
        context.Response.StatusCode = 200;
        context.Response.ContentType = ApiJson.ContentType;
        context.Response.ContentLength = bytes.Length;
        return context.Response.Body.WriteAsync(bytes, context.RequestAborted).AsTask();
    }

    private static byte[] LoadOpenApiDocument()
    {
        using var stream = typeof(HttpApi).Assembly.GetManifestResourceStream("FileSwarm.Peer.Api.openapi.json")
            ?? throw new InvalidOperationException("the embedded OpenAPI document is missing");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
