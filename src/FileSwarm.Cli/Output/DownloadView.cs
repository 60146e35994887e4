using System.Collections.Concurrent;
using FileSwarm.Cli.Client;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace FileSwarm.Cli.Output;

/// <summary>
/// Follows a download on a peer by polling GET /downloads/{hash}: a live bar with rate, ETA and peers on a terminal,
/// otherwise a plain line at every 10% (and on every change of state), so logs and pipes stay readable.
/// </summary>
internal static class DownloadView
{
    private static readonly TimeSpan TerminalInterval = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan PlainInterval = TimeSpan.FromMilliseconds(500);

    /// <summary>Polls until the download is complete, failed or stopped; returns its last status.</summary>
    public static Task<DownloadStatus> FollowAsync(PeerClient client, string hash, bool terminal, TextWriter plain, CancellationToken cancellationToken) =>
        terminal ? FollowOnTerminalAsync(client, hash, cancellationToken) : FollowWithLinesAsync(client, hash, plain, cancellationToken);

    private static async Task<DownloadStatus> FollowWithLinesAsync(PeerClient client, string hash, TextWriter plain, CancellationToken cancellationToken)
    {
        var lastDecile = -1;
        var lastState = "";
        while (true)
        {
            var status = await client.DownloadAsync(hash, cancellationToken);
            var decile = (int)(status.Fraction * 10);
            if (decile != lastDecile || status.State != lastState)
            {
                plain.WriteLine($"{status.Name}: {status.State} {status.Summary()}");
                plain.Flush();
                lastDecile = decile;
                lastState = status.State;
            }

            if (status.IsFinished)
            {
                return status;
            }

            await Task.Delay(PlainInterval, cancellationToken);
        }
    }

    private static async Task<DownloadStatus> FollowOnTerminalAsync(PeerClient client, string hash, CancellationToken cancellationToken)
    {
        var texts = new ConcurrentDictionary<int, string>();
        var first = await client.DownloadAsync(hash, cancellationToken);
        return await AnsiConsole.Progress()
            .AutoClear(false)
            .AutoRefresh(true)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new StatusColumn(texts))
            .StartAsync(async context =>
            {
                var task = context.AddTask(Markup.Escape(first.Name), maxValue: Math.Max(1, first.TotalBytes));
                var status = first;
                while (true)
                {
                    task.Value = status.TotalBytes == 0 && status.State == "complete" ? task.MaxValue : status.CompletedBytes;
                    texts[task.Id] = status.State switch
                    {
                        "downloading" => $"{Sizes.Format(status.CompletedBytes)}/{Sizes.Format(status.TotalBytes)}  {Sizes.Format((long)status.BytesPerSecond)}/s  ETA {DownloadStatus.Eta(status.EtaSeconds)}  {status.Peers} {(status.Peers == 1 ? "peer" : "peers")}",
                        _ => $"{Sizes.Format(status.CompletedBytes)}/{Sizes.Format(status.TotalBytes)}  {status.State}",
                    };
                    if (status.IsFinished)
                    {
                        context.Refresh();
                        return status;
                    }

                    await Task.Delay(TerminalInterval, cancellationToken);
                    status = await client.DownloadAsync(hash, cancellationToken);
                }
            });
    }

    /// <summary>The peer's own numbers (bytes, rate, ETA, peers) beside the bar.</summary>
    private sealed class StatusColumn(ConcurrentDictionary<int, string> texts) : ProgressColumn
    {
        public override IRenderable Render(RenderOptions options, ProgressTask task, TimeSpan deltaTime) =>
            new Markup(Markup.Escape(texts.GetValueOrDefault(task.Id, "starting")), new Style(Color.Grey));
    }
}
