using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text.Json;
using FileSwarm.Cli.Output;

namespace FileSwarm.Cli.Client;

/// <summary>
/// The user verbs' view of a running peer: its local HTTP API (routes in README.md, GET /openapi.json).
/// Every failure becomes one sentence: the peer is unreachable, refused the token, or answered {"code","message"}.
/// </summary>
internal sealed class PeerClient : IDisposable
{
    public const string DefaultAddress = "http://127.0.0.1:8000";

    /// <summary>Requests that only read or start something answer quickly; sharing hashes the whole file first.</summary>
    private static readonly TimeSpan QuickTimeout = TimeSpan.FromSeconds(30);

    private readonly HttpClient _http;

    public PeerClient(Uri address, string? token)
    {
        Address = address;
        _http = new HttpClient(new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(5), UseProxy = false })
        {
            BaseAddress = address,
            Timeout = Timeout.InfiniteTimeSpan,
        };
        if (!string.IsNullOrEmpty(token))
        {
            _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
    }

    public Uri Address { get; }

    /// <summary>"http://127.0.0.1:8000", for messages.</summary>
    public string Display => Address.GetLeftPart(UriPartial.Authority);

    /// <summary>Parses what a user types for --peer: "8000", "127.0.0.1:8000", "localhost:8000", "http://host:8000".</summary>
    public static Uri? ParseAddress(string text)
    {
        var trimmed = text.Trim();
        var withScheme = trimmed.All(char.IsAsciiDigit) && trimmed.Length > 0 ? "http://127.0.0.1:" + trimmed
            : trimmed.Contains("://", StringComparison.Ordinal) ? trimmed : "http://" + trimmed;
        return Uri.TryCreate(withScheme, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" && !string.IsNullOrEmpty(uri.Host)
            && uri.AbsolutePath == "/" && string.IsNullOrEmpty(uri.Query) && !trimmed.Contains(' ', StringComparison.Ordinal)
            ? uri
            : null;
    }

    public Task<JsonElement> HealthAsync(CancellationToken cancellationToken) => SendAsync(HttpMethod.Get, "/health", null, QuickTimeout, cancellationToken);

    public Task<JsonElement> ShareAsync(string path, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Post, "/upload", Body(w => w.WriteString("name", path)), Timeout.InfiniteTimeSpan, cancellationToken);

    public Task<JsonElement> CatalogAsync(CancellationToken cancellationToken) => SendAsync(HttpMethod.Get, "/files", null, QuickTimeout, cancellationToken);

    public Task<JsonElement> LibraryAsync(CancellationToken cancellationToken) => SendAsync(HttpMethod.Get, "/library", null, QuickTimeout, cancellationToken);

    public Task<JsonElement> FileAsync(string key, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Get, "/files/" + Uri.EscapeDataString(key), null, QuickTimeout, cancellationToken);

    /// <summary>Starts a download without waiting (202), or finds it complete already (200).</summary>
    public Task<JsonElement> StartDownloadAsync(string hash, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Post, "/download", Body(w => { w.WriteString("hash", hash); w.WriteBoolean("wait", false); }), QuickTimeout, cancellationToken);

    public async Task<DownloadStatus> DownloadAsync(string hash, CancellationToken cancellationToken) =>
        DownloadStatus.From(await SendAsync(HttpMethod.Get, "/downloads/" + Uri.EscapeDataString(hash), null, QuickTimeout, cancellationToken));

    public Task<JsonElement> DownloadsAsync(CancellationToken cancellationToken) => SendAsync(HttpMethod.Get, "/downloads", null, QuickTimeout, cancellationToken);

    public Task<JsonElement> RemoveAsync(string hash, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Delete, "/files/" + Uri.EscapeDataString(hash), null, QuickTimeout, cancellationToken);

    public void Dispose() => _http.Dispose();

    private async Task<JsonElement> SendAsync(HttpMethod method, string path, byte[]? body, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = new ByteArrayContent(body) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") } };
        }

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        string text;
        HttpStatusCode status;
        try
        {
            using var response = await _http.SendAsync(request, deadline.Token);
            status = response.StatusCode;
            text = await response.Content.ReadAsStringAsync(deadline.Token);
        }
        catch (HttpRequestException e)
        {
            throw new PeerApiException(null, "unreachable", $"cannot reach the peer at {Display}: {Reason(e)} (is `fileswarm peer` running there? --peer URL or FILESWARM_PEER picks another)");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new PeerApiException(null, "timeout", $"the peer at {Display} did not answer {method} {path} within {timeout.TotalSeconds:0} s");
        }

        JsonElement json;
        try
        {
            using var document = JsonDocument.Parse(text);
            json = document.RootElement.Clone();
        }
        catch (JsonException)
        {
            throw new PeerApiException((int)status, "bad_response", $"{Display} answered {method} {path} with {(int)status} and no JSON; is it a FileSwarm peer?");
        }

        if ((int)status is >= 200 and < 300)
        {
            return json;
        }

        var code = json.ValueKind == JsonValueKind.Object && json.TryGetProperty("code", out var c) ? c.GetString() ?? "" : "";
        var message = json.ValueKind == JsonValueKind.Object && json.TryGetProperty("message", out var m) ? m.GetString() ?? "" : text.Trim();
        if (status == HttpStatusCode.Unauthorized)
        {
            message = $"the peer at {Display} needs its API token: --api-token TOKEN or FILESWARM_API_TOKEN";
        }

        throw new PeerApiException((int)status, code, message);
    }

    private static string Reason(HttpRequestException e) => e.InnerException switch
    {
        SocketException socket => socket.SocketErrorCode switch
        {
            SocketError.ConnectionRefused => "connection refused",
            SocketError.HostNotFound or SocketError.NoData => "unknown host",
            SocketError.TimedOut => "timed out",
            _ => socket.Message,
        },
        { } inner => inner.Message,
        null => e.Message,
    };

    private static byte[] Body(Action<Utf8JsonWriter> write)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            write(writer);
            writer.WriteEndObject();
        }

        return buffer.ToArray();
    }
}

/// <summary>An error answer of the peer (or no answer at all, with a null status), as one sentence.</summary>
internal sealed class PeerApiException : Exception
{
    public PeerApiException()
    {
    }

    public PeerApiException(string message)
        : base(message)
    {
    }

    public PeerApiException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public PeerApiException(int? status, string code, string message)
        : base(message)
    {
        Status = status;
        Code = code;
    }

    public int? Status { get; }

    public string Code { get; } = "";
}

/// <summary>One download's progress as GET /downloads/{hash} reports it.</summary>
internal sealed record DownloadStatus(
    string Hash, string Name, string Path, string State, long CompletedBytes, long TotalBytes, int CompletedPieces, int Pieces,
    double BytesPerSecond, int Peers, double? EtaSeconds, string? Error, JsonElement Json)
{
    public bool IsFinished => State is "complete" or "failed" or "stopped";

    public double Fraction => TotalBytes == 0 ? (State == "complete" ? 1 : 0) : (double)CompletedBytes / TotalBytes;

    public static DownloadStatus From(JsonElement json) => new(
        json.GetProperty("hash").GetString()!,
        json.GetProperty("name").GetString()!,
        json.GetProperty("path").GetString()!,
        json.GetProperty("state").GetString()!,
        Int64(json, "completed_bytes"),
        Int64(json, "total_bytes"),
        json.GetProperty("completed_pieces").GetInt32(),
        json.GetProperty("pieces").GetInt32(),
        json.GetProperty("bytes_per_second").GetDouble(),
        json.GetProperty("peers").GetInt32(),
        json.TryGetProperty("eta_seconds", out var eta) && eta.ValueKind == JsonValueKind.Number ? eta.GetDouble() : null,
        json.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.String ? error.GetString() : null,
        json);

    /// <summary>"41% 26.3 MiB of 64 MiB, 12.5 MiB/s, 2 peers, ETA 3 s".</summary>
    public string Summary() =>
        string.Create(CultureInfo.InvariantCulture, $"{Fraction * 100:0}% {Sizes.Format(CompletedBytes)} of {Sizes.Format(TotalBytes)}, {Sizes.Format((long)BytesPerSecond)}/s, {Peers} {(Peers == 1 ? "peer" : "peers")}, ETA {Eta(EtaSeconds)}");

    public static string Eta(double? seconds) => seconds switch
    {
        null => "?",
        < 60 => string.Create(CultureInfo.InvariantCulture, $"{Math.Ceiling(seconds.Value):0} s"),
        < 3600 => TimeSpan.FromSeconds(Math.Ceiling(seconds.Value)).ToString(@"m\:ss", CultureInfo.InvariantCulture),
        _ => TimeSpan.FromSeconds(Math.Ceiling(seconds.Value)).ToString(@"h\:mm\:ss", CultureInfo.InvariantCulture),
    };

    public static long Int64(JsonElement json, string name) =>
        json.TryGetProperty(name, out var value) ? value.ValueKind == JsonValueKind.String
            ? long.Parse(value.GetString()!, CultureInfo.InvariantCulture)
            : value.GetInt64() : 0;
}
