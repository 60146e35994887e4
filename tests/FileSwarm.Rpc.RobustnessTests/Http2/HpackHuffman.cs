namespace FileSwarm.Rpc.RobustnessTests.Http2;

/// <summary>
/// The Huffman code of HPACK (RFC 7541 Appendix B). The code is canonical: codes of equal length
/// are consecutive in symbol order and each length continues where the shorter one ended, so the
/// code lengths alone determine every code. They are kept as lengths and the codes derived.
/// </summary>
public static class HpackHuffman
{
    public const int EndOfString = 256;

    // Code length in bits of symbols 0..255 and EOS (256), sixteen to a row.
    private static readonly byte[] CodeLengths =
    [
        13, 23, 28, 28, 28, 28, 28, 28, 28, 24, 30, 28, 28, 30, 28, 28,
        28, 28, 28, 28, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 28,
        6, 10, 10, 12, 13, 6, 8, 11, 10, 10, 8, 11, 8, 6, 6, 6,
        5, 5, 5, 6, 6, 6, 6, 6, 6, 6, 7, 8, 15, 6, 12, 10,
        13, 6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7,
        7, 7, 7, 7, 7, 7, 7, 7, 8, 7, 8, 13, 19, 13, 14, 6,
        15, 5, 6, 5, 6, 5, 6, 6, 6, 5, 7, 7, 6, 6, 6, 5,
        6, 7, 6, 5, 5, 6, 7, 7, 7, 7, 7, 15, 11, 14, 13, 28,
        20, 22, 20, 20, 22, 22, 22, 23, 22, 23, 23, 23, 23, 23, 24, 23,
        24, 24, 22, 23, 24, 23, 23, 23, 23, 21, 22, 23, 22, 23, 23, 24,
        22, 21, 20, 22, 22, 23, 23, 21, 23, 22, 22, 24, 21, 22, 23, 23,
        21, 21, 22, 21, 23, 22, 23, 23, 20, 22, 22, 22, 23, 22, 22, 23,
        26, 26, 20, 19, 22, 23, 22, 25, 26, 26, 26, 27, 27, 26, 24, 25,
        19, 21, 26, 27, 27, 26, 27, 24, 21, 21, 26, 26, 28, 27, 27, 27,
        20, 24, 20, 21, 22, 21, 21, 23, 22, 22, 25, 25, 24, 24, 26, 23,
        26, 27, 26, 26, 27, 27, 27, 27, 27, 28, 27, 27, 27, 27, 27, 26,
        30,
    ];

    private static readonly (uint Code, int Length)[] Codes = BuildCodes();

    // Decoding tree: node i has children at Tree[i].Zero / Tree[i].One; a leaf holds Symbol >= 0.
    private static readonly Node[] Tree = BuildTree();

    /// <summary>The code of <paramref name="symbol"/> (0–256), right-aligned, and its length in bits.</summary>
    public static (uint Code, int Length) GetCode(int symbol) => Codes[symbol];

    /// <summary>Decodes a Huffman-coded string; the padding must be fewer than 8 one bits and EOS must not appear.</summary>
    /// <exception cref="InvalidDataException">The input is not a valid HPACK Huffman string.</exception>
    public static byte[] Decode(ReadOnlySpan<byte> input)
    {
        var output = new List<byte>(input.Length * 8 / 5);
        var node = 0;
        var bitsSinceSymbol = 0;
        var allOnesSinceSymbol = true;
        foreach (var b in input)
        {
            for (var bit = 7; bit >= 0; bit--)
            {
                var one = ((b >> bit) & 1) == 1;
                node = one ? Tree[node].One : Tree[node].Zero;
                if (node < 0)
                {
                    throw new InvalidDataException("Invalid Huffman code.");
                }

                bitsSinceSymbol++;
                allOnesSinceSymbol &= one;
                if (Tree[node].Symbol is var symbol and >= 0)
                {
                    if (symbol == EndOfString)
                    {
                        throw new InvalidDataException("Huffman-coded string contains EOS.");
                    }

                    output.Add((byte)symbol);
                    node = 0;
                    bitsSinceSymbol = 0;
                    allOnesSinceSymbol = true;
                }
            }
        }

        if (bitsSinceSymbol > 7 || !allOnesSinceSymbol)
        {
            throw new InvalidDataException("Huffman-coded string has invalid padding.");
        }

        return [.. output];
    }

    /// <summary>Encodes bytes with the Huffman code, padded with one bits (used by tests of the decoder).</summary>
    public static byte[] Encode(ReadOnlySpan<byte> input)
    {
        var output = new List<byte>();
        ulong accumulator = 0;
        var bits = 0;
        foreach (var b in input)
        {
            var (code, length) = Codes[b];
            accumulator = (accumulator << length) | code;
            bits += length;
            while (bits >= 8)
            {
                bits -= 8;
                output.Add((byte)(accumulator >> bits));
            }
        }

        if (bits > 0)
        {
            output.Add((byte)((accumulator << (8 - bits)) | (0xFFu >> bits)));
        }

        return [.. output];
    }

    private static (uint, int)[] BuildCodes()
    {
        var codes = new (uint, int)[CodeLengths.Length];
        uint next = 0;
        var length = 0;
        var symbols = Enumerable.Range(0, CodeLengths.Length).OrderBy(s => CodeLengths[s]).ThenBy(s => s);
        foreach (var symbol in symbols)
        {
            next <<= CodeLengths[symbol] - length;
            length = CodeLengths[symbol];
            codes[symbol] = (next, length);
            next++;
        }

        return codes;
    }

    private static Node[] BuildTree()
    {
        var nodes = new List<Node> { new() };
        for (var symbol = 0; symbol < Codes.Length; symbol++)
        {
            var (code, length) = Codes[symbol];
            var current = 0;
            for (var bit = length - 1; bit >= 0; bit--)
            {
                var one = ((code >> bit) & 1) == 1;
                var child = one ? nodes[current].One : nodes[current].Zero;
                if (child < 0)
                {
                    child = nodes.Count;
                    nodes.Add(new Node());
                    nodes[current] = one ? nodes[current] with { One = child } : nodes[current] with { Zero = child };
                }

                current = child;
            }

            nodes[current] = nodes[current] with { Symbol = symbol };
        }

        return [.. nodes];
    }

    private readonly record struct Node(int Zero, int One, int Symbol)
    {
        public Node()
            : this(-1, -1, -1)
        {
        }
    }
}
