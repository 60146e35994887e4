using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using FileSwarm.Peer.Library;
using FileSwarm.Peer.Transfers;
using FileSwarm.Protocol.V1;
using Google.Protobuf;
using Microsoft.AspNetCore.Http;

namespace FileSwarm.Peer.Api;

/// <summary>
/// The HTTP API's JSON: proto3 JSON with the proto field names (64-bit integers as strings) for protocol messages,
/// and the same conventions for the shapes the API adds (lists, download progress, errors).
/// </summary>
internal static class ApiJson
{
    public const string ContentType = "application/json; charset=utf-8";

    /// <summary>Largest request body accepted; the API's requests are a few fields.</summary>
    public const int MaxBodyBytes = 64 * 1024;

    public static readonly JsonFormatter Formatter = new(JsonFormatter.Settings.Default.WithPreserveProtoFieldNames(true).WithFormatDefaultValues(true));

    public static Task WriteAsync(HttpContext context, int status, Action<Utf8JsonWriter> write)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            write(writer);
        }

        buffer.Write("\n"u8);
        context.Response.StatusCode = status;
        context.Response.ContentType = ContentType;
        return context.Response.Body.WriteAsync(buffer.WrittenMemory, context.RequestAborted).AsTask();
    }

    public static Task WriteMessageAsync(HttpContext context, int status, IMessage message) =>
        WriteAsync(context, status, w => WriteMessage(w, message));

    public static void WriteMessage(Utf8JsonWriter writer, IMessage message) => writer.WriteRawValue(Formatter.Format(message), skipInputValidation: true);

    public static Task WriteErrorAsync(HttpContext context, int status, string code, string message) =>
        WriteAsync(context, status, w =>
        {
            w.WriteStartObject();
            w.WriteString("code", code);
            w.WriteString("message", message);
            w.WriteEndObject();
        });

    public static void WriteFiles(Utf8JsonWriter writer, IReadOnlyCollection<SharedFileInfo> files)
    {
        writer.WriteStartObject();
        writer.WriteString("count", files.Count.ToString(CultureInfo.InvariantCulture));
        writer.WritePropertyName("files");
        writer.WriteStartArray();
        foreach (var file in files)
        {
            WriteMessage(writer, file);
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    public static void WriteDownload(Utf8JsonWriter writer, LibraryEntry entry)
    {
        var progress = entry.Download?.Progress ?? CompletedProgress(entry);
        writer.WriteStartObject();
        writer.WriteString("hash", entry.Info.Hash);
        writer.WriteString("name", entry.Info.Name);
        writer.WriteString("path", entry.ContentPaths.Count == 1 ? entry.ContentPaths[0] : entry.ContentDirectory);
        writer.WriteString("state", progress.State.ToString().ToLowerInvariant());
        writer.WriteString("completed_bytes", Int64(progress.CompletedBytes));
        writer.WriteString("total_bytes", Int64(progress.TotalBytes));
        writer.WriteNumber("completed_pieces", progress.CompletedPieces);
        writer.WriteNumber("pieces", progress.PieceCount);
        writer.WriteNumber("resumed_pieces", entry.Download?.ResumedPieces ?? progress.PieceCount);
        writer.WriteNumber("bytes_per_second", Math.Round(progress.BytesPerSecond, 1));
        writer.WriteNumber("peers", progress.ConnectedPeers);
        if (progress.EstimatedRemaining is { } eta)
        {
            writer.WriteNumber("eta_seconds", Math.Round(eta.TotalSeconds, 1));
        }
        else
        {
            writer.WriteNull("eta_seconds");
        }

        writer.WriteString("fetched_bytes", Int64(progress.Peers.Sum(p => p.BytesReceived)));
        writer.WriteString("uploaded_bytes", Int64(entry.Totals.Uploaded));
        if (progress.Error is { } error)
        {
            writer.WriteString("error", error);
        }
        else
        {
            writer.WriteNull("error");
        }

        writer.WritePropertyName("peer_stats");
        writer.WriteStartArray();
        foreach (var peer in progress.Peers)
        {
            writer.WriteStartObject();
            writer.WriteString("peer_id", peer.PeerId);
            writer.WriteString("address", peer.Address);
            writer.WriteString("bytes_received", Int64(peer.BytesReceived));
            writer.WriteNumber("pieces_received", peer.PiecesReceived);
            writer.WriteNumber("strikes", peer.Strikes);
            writer.WriteBoolean("dropped", peer.Dropped);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    /// <summary>Reads a small JSON object body; anything else is a <see cref="PeerException"/> saying what is wrong.</summary>
    public static async Task<JsonElement> ReadObjectAsync(HttpContext context, params string[] allowedFields)
    {
        if (context.Request.ContentLength is > MaxBodyBytes)
        {
            throw new PeerException(PeerErrorKind.InvalidArgument, $"the request body is larger than {MaxBodyBytes} bytes");
        }

        using var body = new MemoryStream();
        var buffer = new byte[8192];
        int read;
        while ((read = await context.Request.Body.ReadAsync(buffer, context.RequestAborted)) > 0)
        {
            if (body.Length + read > MaxBodyBytes)
            {
                throw new PeerException(PeerErrorKind.InvalidArgument, $"the request body is larger than {MaxBodyBytes} bytes");
            }

            body.Write(buffer, 0, read);
        }

        if (body.Length == 0)
        {
            throw new PeerException(PeerErrorKind.InvalidArgument, $"the request needs a JSON body such as {{\"{allowedFields[0]}\": \"...\"}}");
        }

        JsonElement root;
        try
        {
            using var document = JsonDocument.Parse(body.ToArray());
            root = document.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new PeerException(PeerErrorKind.InvalidArgument, $"the body is not valid JSON: {e.Message}");
        }

        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new PeerException(PeerErrorKind.InvalidArgument, $"the body must be a JSON object, not {root.ValueKind.ToString().ToLowerInvariant()}");
        }

        foreach (var property in root.EnumerateObject())
        {
            if (!allowedFields.Contains(property.Name, StringComparer.Ordinal))
            {
                throw new PeerException(PeerErrorKind.InvalidArgument, $"unknown field \"{PeerException.Truncate(property.Name)}\" (expected {string.Join(", ", allowedFields.Select(f => $"\"{f}\""))})");
            }
        }

        return root;
    }

    public static string RequiredString(JsonElement body, string field) =>
        body.TryGetProperty(field, out var value) && value.ValueKind == JsonValueKind.String && value.GetString() is { Length: > 0 } text
            ? text
            : throw new PeerException(PeerErrorKind.InvalidArgument, $"\"{field}\" must be a non-empty string");

    public static bool OptionalBool(JsonElement body, string field, bool defaultValue) =>
        !body.TryGetProperty(field, out var value) || value.ValueKind == JsonValueKind.Null ? defaultValue
        : value.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw new PeerException(PeerErrorKind.InvalidArgument, $"\"{field}\" must be true or false"),
        };

    /// <summary>An integer given as a JSON number or, as proto3 JSON writes 64-bit values, a string.</summary>
    public static long? OptionalInt64(JsonElement body, string field)
    {
        if (!body.TryGetProperty(field, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var number))
        {
            return number;
        }

        if (value.ValueKind == JsonValueKind.String && long.TryParse(value.GetString(), NumberStyles.None, CultureInfo.InvariantCulture, out number))
        {
            return number;
        }

        throw new PeerException(PeerErrorKind.InvalidArgument, $"\"{field}\" must be an integer");
    }

    private static string Int64(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static DownloadProgress CompletedProgress(LibraryEntry entry)
    {
        var have = entry.Store.GetBitfield();
        var state = entry.Store.IsComplete ? DownloadState.Complete : DownloadState.Stopped;
        return new DownloadProgress(state, DownloadJob.CompletedBytes(entry.Store, have), entry.Metainfo.TotalLength, have.CountSet, have.Length, 0, 0, null, [], null);
    }

    public static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);
}
