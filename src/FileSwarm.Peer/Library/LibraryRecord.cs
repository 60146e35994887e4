using System.Text.Json;
using System.Text.Json.Serialization;

namespace FileSwarm.Peer.Library;

/// <summary>Why a file is in the library.</summary>
public enum LibraryRole
{
    /// <summary>A local file the user shares: seeded from where it is, never modified or deleted.</summary>
    Shared,

    /// <summary>Downloaded (or being downloaded) into the downloads directory.</summary>
    Download,
}

/// <summary>
/// What the library keeps beside each handler (<c>library/HASH.json</c> next to <c>library/HASH.torrent</c>), so a
/// restarted peer reopens the same content.
/// </summary>
internal sealed record LibraryRecord
{
    public required LibraryRole Role { get; init; }

    /// <summary>The directory the handler's name is resolved under.</summary>
    public required string ContentDirectory { get; init; }

    /// <summary>For a shared single file: its size and modification time when hashed, to skip re-hashing when unchanged.</summary>
    public long? SourceLength { get; init; }

    public DateTime? SourceWriteTimeUtc { get; init; }

    public DateTimeOffset Added { get; init; }
}

[JsonSerializable(typeof(LibraryRecord))]
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    UseStringEnumConverter = true,
    WriteIndented = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
internal sealed partial class LibraryJsonContext : JsonSerializerContext
{
    public static LibraryRecord? Read(string path) => JsonSerializer.Deserialize(File.ReadAllBytes(path), Default.LibraryRecord);

    public static byte[] Write(LibraryRecord record) => JsonSerializer.SerializeToUtf8Bytes(record, Default.LibraryRecord);
}
