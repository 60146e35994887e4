namespace FileSwarm.Rpc.Tests.Protos;

/// <summary>A response holding (pretend) pooled memory: counts its disposals, and spoils its text when disposed.</summary>
public sealed partial class Releasable : IDisposable
{
    public const string DisposedText = "disposed before it was written";

    private int _disposals;

    public int Disposals => Volatile.Read(ref _disposals);

    public void Dispose()
    {
        // A response disposed before its bytes were written would reach the client with this text.
        Interlocked.Increment(ref _disposals);
        Text = DisposedText;
    }
}
