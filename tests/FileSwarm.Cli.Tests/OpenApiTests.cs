using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using FileSwarm.Cli.Tests.Infrastructure;
using FileSwarm.Integration.Tests.Infrastructure;
using CliBuild = FileSwarm.Integration.Tests.Infrastructure.Cli;

namespace FileSwarm.Cli.Tests;

/// <summary>GET /openapi.json describes exactly the routes the peer maps, and what they answer.</summary>
public sealed partial class OpenApiTests(SwarmFixture swarm) : IClassFixture<SwarmFixture>
{
    [Fact]
    public async Task The_document_lists_every_route_the_peer_maps_and_nothing_else()
    {
        var document = await GetDocumentAsync(swarm.A);
        var documented = document.RootElement.GetProperty("paths").EnumerateObject()
            .SelectMany(p => p.Value.EnumerateObject().Select(m => $"{m.Name.ToUpperInvariant()} {Normalize(p.Name)}"))
            .Order(StringComparer.Ordinal).ToList();

        var source = await File.ReadAllTextAsync(Path.Join(CliBuild.RepoRoot, "src", "FileSwarm.Peer", "Api", "HttpApi.cs"));
        var mapped = RoutePattern().Matches(source).Select(m => $"{m.Groups[1].Value.ToUpperInvariant()} {Normalize(m.Groups[2].Value)}")
            .Order(StringComparer.Ordinal).ToList();
        Assert.NotEmpty(mapped);
        Assert.Equal(mapped, documented);
        Assert.Equal("3.1.0", document.RootElement.GetProperty("openapi").GetString());
    }

    [Fact]
    public async Task Every_reference_resolves_and_every_documented_route_exists_on_a_running_peer()
    {
        var document = await GetDocumentAsync(swarm.A);
        var text = document.RootElement.GetRawText();
        foreach (Match reference in ReferencePattern().Matches(text))
        {
            var target = reference.Groups[1].Value.Split('/');
            Assert.True(document.RootElement.GetProperty("components").GetProperty(target[0]).TryGetProperty(target[1], out _), $"unresolved $ref {reference.Value}");
        }

        foreach (var path in document.RootElement.GetProperty("paths").EnumerateObject())
        {
            foreach (var method in path.Value.EnumerateObject())
            {
                var concrete = path.Name.Replace("{key}", "0123456789abcdef0123456789abcdef01234567", StringComparison.Ordinal);
                using var request = new HttpRequestMessage(new HttpMethod(method.Name.ToUpperInvariant()), new Uri(swarm.A.Http, concrete));
                if (method.Name == "post")
                {
                    request.Content = new StringContent("{}", System.Text.Encoding.UTF8, "application/json");
                }

                using var response = await swarm.Cluster.Http.SendAsync(request);
                var body = await response.Content.ReadAsStringAsync();
                Assert.DoesNotContain("\"no_route\"", body, StringComparison.Ordinal);
                Assert.NotEqual(HttpStatusCode.MethodNotAllowed, response.StatusCode);
                var status = ((int)response.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture);
                Assert.True(method.Value.GetProperty("responses").TryGetProperty(status, out _), $"{method.Name} {path.Name} answered {status}, which the document does not list: {body}");
            }
        }
    }

    [Fact]
    public async Task The_library_route_marks_shared_files()
    {
        var hash = await swarm.A.UploadAsync(swarm.Cluster.CreateFile("library.bin", 50_000, seed: 31));
        var library = await swarm.A.GetJsonAsync("/library");
        var entry = library["files"]!.AsArray().Single(f => (string?)f!["hash"] == hash)!;
        Assert.Equal("shared", (string?)entry["role"]);
        Assert.Equal("complete", (string?)entry["state"]);
        Assert.True((bool)entry["complete"]!);
    }

    private async Task<JsonDocument> GetDocumentAsync(PeerProcess peer)
    {
        using var response = await swarm.Cluster.Http.GetAsync(new Uri(peer.Http, "/openapi.json"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("application/json", response.Content.Headers.ContentType?.ToString(), StringComparison.Ordinal);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync());
    }

    private static string Normalize(string route) => ParameterPattern().Replace(route, "{}");

    [GeneratedRegex(@"routes\.Map(Get|Post|Delete|Put|Patch)\(""([^""]+)""")]
    private static partial Regex RoutePattern();

    [GeneratedRegex(@"\{[^}]+\}")]
    private static partial Regex ParameterPattern();

    [GeneratedRegex(@"""\$ref"":\s*""#/components/([^""]+)""")]
    private static partial Regex ReferencePattern();
}
