using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace FileSwarm.Core.Internal;

/// <summary>
/// Writes that bypass the page cache (Linux <c>O_DIRECT</c>). A downloaded piece is hashed in memory and then written
/// once; through the page cache that write costs a copy into freshly allocated cache pages, which on a virtual
/// machine whose memory is backed lazily costs more CPU than the whole transfer (bench/transfer/one-to-one.sh:
/// 1 GiB buffered, 2.3 CPU-s; direct, 0.1). Direct writes need the file offset, the length and the memory address
/// aligned to the device's logical block; <see cref="Alignment"/> covers every common device.
/// </summary>
internal static partial class DirectIo
{
    /// <summary>Offsets, lengths and addresses of direct writes are multiples of this.</summary>
    public const int Alignment = 4096;

    private const int WriteOnly = 0x1;
    private const int CloseOnExec = 0x80000;

    // O_DIRECT's value differs between architectures; 0 where direct writes are not tried.
    private static int OpenFlag => !OperatingSystem.IsLinux() ? 0 : RuntimeInformation.ProcessArchitecture switch
    {
        Architecture.X64 or Architecture.X86 => 0x4000,
        Architecture.Arm64 or Architecture.Arm => 0x10000,
        _ => 0,
    };

    /// <summary>
    /// A second, write-only handle on an existing file that bypasses the page cache; null when the platform or the file
    /// system does not support it (tmpfs before Linux 6.6 refuses <c>O_DIRECT</c>), in which case buffered writes are used.
    /// </summary>
    public static SafeFileHandle? TryOpenForWriting(string path)
    {
        var flag = OpenFlag;
        if (flag == 0)
        {
            return null;
        }

        var fd = Open(path, WriteOnly | CloseOnExec | flag);
        return fd < 0 ? null : new SafeFileHandle((nint)fd, ownsHandle: true);
    }

    /// <summary>How many bytes from the start of <paramref name="data"/> its address reaches <see cref="Alignment"/>.</summary>
    public static int BytesToAlignedAddress(ReadOnlySpan<byte> data) => (int)((Alignment - (AddressOf(data) % Alignment)) % Alignment);

    private static unsafe nuint AddressOf(ReadOnlySpan<byte> data)
    {
        fixed (byte* pointer = data)
        {
            return (nuint)pointer;
        }
    }

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);
}
