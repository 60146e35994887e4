using FsCheck;

namespace FileSwarm.Peer.Tests.Infrastructure;

internal static class Properties
{
    /// <summary>Runs a property with FsCheck, failing the test (with the counter-example) when it does not hold.</summary>
    public static void Check(Property property, int maxTest = 300) =>
        FsCheck.Check.One(Config.QuickThrowOnFailure.WithMaxTest(maxTest).WithQuietOnSuccess(true), property);
}
