using System.Globalization;
using System.Text.Json;
using FileSwarm.Core.Metainfo;

namespace FileSwarm.Cli.Output;

/// <summary>
/// Prints a handler for people (aligned fields, sizes, which pieces hold which file) or as JSON for scripts.
/// JSON follows the proto3 JSON conventions of the peer's HTTP API: snake_case names, 64-bit integers as strings.
/// </summary>
internal static class HandlerReport
{
    public static void WriteText(TextWriter output, TorrentMetainfo metainfo, string? torrentPath, bool listFiles)
    {
        void Field(string name, string value) => output.WriteLine($"{name,-14}{value}");

        if (torrentPath is not null)
        {
            Field("torrent", torrentPath);
        }

        Field("name", metainfo.IsMultiFile ? $"{metainfo.Name} (directory, {Count(metainfo.Files.Count, "file")})" : metainfo.Name);
        Field("info-hash", metainfo.InfoHash.ToString());
        Field("sha1", metainfo.ContentSha1?.ToString() ?? "(not recorded)");
        Field("size", $"{Sizes.Format(metainfo.TotalLength)} ({Sizes.Exact(metainfo.TotalLength)} bytes)");
        var last = metainfo.PieceCount == 0 ? 0 : metainfo.GetPieceSize(metainfo.PieceCount - 1);
        Field("pieces", metainfo.PieceCount == 0
            ? $"0 (empty content; piece length {Sizes.Format(metainfo.PieceLength)})"
            : $"{metainfo.PieceCount} × {Sizes.Format(metainfo.PieceLength)} ({Sizes.Exact(metainfo.PieceLength)} bytes; last piece {Sizes.Exact(last)} bytes)");
        if (metainfo.Announce is not null)
        {
            Field("tracker", metainfo.Announce);
        }

        foreach (var tier in metainfo.AnnounceList)
        {
            Field("tracker tier", string.Join(' ', tier));
        }

        if (metainfo.CreatedBy is not null)
        {
            Field("created by", metainfo.CreatedBy);
        }

        if (metainfo.CreationDate is { } date)
        {
            Field("created on", date.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture));
        }

        if (metainfo.Comment is not null)
        {
            Field("comment", metainfo.Comment.ReplaceLineEndings(" "));
        }

        if (metainfo.IsPrivate)
        {
            Field("private", "yes (BEP 27)");
        }

        if (!listFiles)
        {
            return;
        }

        output.WriteLine();
        output.WriteLine($"{"size",12}  {"pieces",-15}  path");
        foreach (var file in metainfo.Files)
        {
            var (first, count) = metainfo.GetPieceRange(file);
            var pieces = count switch
            {
                0 => "-",
                1 => first.ToString(CultureInfo.InvariantCulture),
                _ => $"{first}-{first + count - 1}",
            };
            output.WriteLine($"{Sizes.Format(file.Length),12}  {pieces,-15}  {string.Join('/', file.StoragePath)}");
        }
    }

    public static void WriteJson(Stream output, TorrentMetainfo metainfo, string? torrentPath)
    {
        using var json = new Utf8JsonWriter(output, new JsonWriterOptions { Indented = true });
        json.WriteStartObject();
        if (torrentPath is not null)
        {
            json.WriteString("torrent", torrentPath);
        }

        json.WriteString("name", metainfo.Name);
        json.WriteString("hash", metainfo.InfoHash.ToString());
        if (metainfo.ContentSha1 is { } sha1)
        {
            json.WriteString("sha1", sha1.ToString());
        }

        json.WriteString("length", metainfo.TotalLength.ToString(CultureInfo.InvariantCulture));
        json.WriteNumber("piece_length", metainfo.PieceLength);
        json.WriteNumber("pieces", metainfo.PieceCount);
        json.WriteBoolean("multi_file", metainfo.IsMultiFile);
        WriteOptional(json, "announce", metainfo.Announce);
        WriteOptional(json, "created_by", metainfo.CreatedBy);
        WriteOptional(json, "creation_date", metainfo.CreationDate?.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture));
        WriteOptional(json, "comment", metainfo.Comment);
        json.WriteBoolean("private", metainfo.IsPrivate);
        json.WriteStartArray("files");
        foreach (var file in metainfo.Files)
        {
            var (first, count) = metainfo.GetPieceRange(file);
            json.WriteStartObject();
            json.WriteString("path", string.Join('/', file.StoragePath));
            json.WriteString("length", file.Length.ToString(CultureInfo.InvariantCulture));
            json.WriteString("offset", file.Offset.ToString(CultureInfo.InvariantCulture));
            json.WriteNumber("first_piece", first);
            json.WriteNumber("piece_count", count);
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteEndObject();
        json.Flush();
        output.WriteByte((byte)'\n');
    }

    private static void WriteOptional(Utf8JsonWriter json, string name, string? value)
    {
        if (value is not null)
        {
            json.WriteString(name, value);
        }
    }

    private static string Count(int n, string noun) => n == 1 ? $"1 {noun}" : $"{n} {noun}s";
}
