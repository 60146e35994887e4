using System.CommandLine;

namespace FileSwarm.Cli;

internal static class Program
{
    public static int Main(string[] args)
    {
        var root = new RootCommand("FileSwarm: peer-to-peer file distribution over gRPC.");
        return root.Parse(args).Invoke();
    }
}
