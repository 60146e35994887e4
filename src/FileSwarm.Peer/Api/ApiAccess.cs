using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace FileSwarm.Peer.Api;

/// <summary>
/// Who may use the HTTP API. <c>/upload</c> reads local paths, so a web page must not reach it through DNS
/// rebinding: the Host header must name loopback with the API's port (unless the user exposed the API beyond
/// loopback with a token). With a token, every route but <c>/health</c> requires <c>Authorization: Bearer TOKEN</c>.
/// </summary>
internal sealed class ApiAccess(string? token, bool loopbackBind, Func<int> boundPort)
{
    private readonly byte[]? _token = token is null ? null : Encoding.UTF8.GetBytes(token);

    /// <summary>Null when the request may proceed; otherwise the status, code and message to refuse it with.</summary>
    public (int Status, string Code, string Message)? Check(HttpRequest request)
    {
        if ((loopbackBind || _token is null) && !IsLocalHost(request.Host))
        {
            return (StatusCodes.Status403Forbidden, "forbidden_host",
                $"Host \"{PeerException.Truncate(request.Host.Value ?? "")}\" is not this peer's local address; use http://127.0.0.1:{boundPort()}");
        }

        if (_token is not null && request.Path != "/health" && !HasToken(request))
        {
            return (StatusCodes.Status401Unauthorized, "unauthorized", "this peer's API needs \"Authorization: Bearer TOKEN\" (--api-token)");
        }

        return null;
    }

    private bool IsLocalHost(HostString host)
    {
        if (!host.HasValue)
        {
            return false;
        }

        var name = host.Host;
        var isLocal = name.Equals("localhost", StringComparison.OrdinalIgnoreCase)
            || (IPAddress.TryParse(name.Trim('[', ']'), out var address) && IPAddress.IsLoopback(address));
        return isLocal && (host.Port ?? 80) == boundPort();
    }

    private bool HasToken(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        const string Scheme = "Bearer ";
        if (!header.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        var given = Encoding.UTF8.GetBytes(header[Scheme.Length..].Trim());
        return CryptographicOperations.FixedTimeEquals(given, _token);
    }
}
