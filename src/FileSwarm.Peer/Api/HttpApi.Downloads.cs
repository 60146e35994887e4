using FileSwarm.Peer.Library;
using Microsoft.AspNetCore.Http;

namespace FileSwarm.Peer.Api;

public sealed partial class HttpApi
{
    /// <summary>
    /// <c>POST /download {"hash": H, "wait": true}</c>: starts the download and, by default, answers when it is
    /// complete (200). With <c>"wait": false</c> it answers at once (202) and progress is at <c>/downloads/H</c>.
    /// </summary>
    private async Task DownloadAsync(HttpContext context)
    {
        var body = await ApiJson.ReadObjectAsync(context, "hash", "wait");
        var text = ApiJson.RequiredString(body, "hash");
        var wait = ApiJson.OptionalBool(body, "wait", defaultValue: true);
        var hash = ParseHash(text);
        var entry = await _library.DownloadAsync(hash, context.RequestAborted);
        if (entry.Store.IsComplete)
        {
            await ApiJson.WriteMessageAsync(context, 200, entry.Info);
            return;
        }

        context.Response.Headers.Location = $"/downloads/{entry.Info.Hash}";
        if (!wait || entry.Download is not { } job)
        {
            await ApiJson.WriteMessageAsync(context, 202, entry.Info);
            return;
        }

        // Leaving (the caller hanging up) does not stop the download; removing the file does.
        var aborted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using (context.RequestAborted.Register(() => aborted.TrySetResult()))
        {
            await Task.WhenAny(job.Completion, aborted.Task);
        }

        if (context.RequestAborted.IsCancellationRequested)
        {
            return;
        }

        if (!job.Completion.IsCompletedSuccessfully)
        {
            throw new PeerException(PeerErrorKind.Conflict, $"the download of {entry.Info.Hash} was stopped before it completed");
        }

        await ApiJson.WriteMessageAsync(context, 200, entry.Info);
    }

    private Task ListDownloadsAsync(HttpContext context)
    {
        var downloads = _library.Entries.Where(e => e.Role == LibraryRole.Download).ToList();
        return ApiJson.WriteAsync(context, 200, w =>
        {
            w.WriteStartObject();
            w.WriteString("count", downloads.Count.ToString(System.Globalization.CultureInfo.InvariantCulture));
            w.WritePropertyName("downloads");
            w.WriteStartArray();
            foreach (var entry in downloads)
            {
                ApiJson.WriteDownload(w, entry);
            }

            w.WriteEndArray();
            w.WriteEndObject();
        });
    }

    private Task GetDownloadAsync(HttpContext context)
    {
        var text = RouteKey(context);
        var hash = ParseHash(text);
        var entry = _library.Find(hash);
        if (entry is null || entry.Role != LibraryRole.Download)
        {
            throw new PeerException(PeerErrorKind.NotFound, $"no download {hash} in this peer's library");
        }

        return ApiJson.WriteAsync(context, 200, w => ApiJson.WriteDownload(w, entry));
    }

}
