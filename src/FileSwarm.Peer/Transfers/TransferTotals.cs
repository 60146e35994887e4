namespace FileSwarm.Peer.Transfers;

/// <summary>
/// The bytes of one file this peer process has served to other peers and fetched from them, as every announce of
/// the file reports them (BitTorrent's <c>uploaded</c> and <c>downloaded</c>). They outlive a download run, so a
/// download restarted after a failure goes on counting. Thread-safe.
/// </summary>
public sealed class TransferTotals
{
    private long _uploaded;
    private long _downloaded;

    /// <summary>Block bytes served to other peers.</summary>
    public long Uploaded => Interlocked.Read(ref _uploaded);

    /// <summary>
    /// Bytes of the pieces fetched from other peers that passed their SHA-1 check: neither endgame duplicates nor
    /// pieces that failed the check count, nor pieces already on disk when a download resumed.
    /// </summary>
    public long Downloaded => Interlocked.Read(ref _downloaded);

    internal void AddUploaded(long bytes) => Interlocked.Add(ref _uploaded, bytes);

    internal void AddDownloaded(long bytes) => Interlocked.Add(ref _downloaded, bytes);
}
