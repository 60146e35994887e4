using FileSwarm.Core.BEncoding;

namespace FileSwarm.Core.Internal;

/// <summary>
/// Recursive-descent BEP 3 parser over one contiguous input. Strings are slices of the input (no copies); every
/// value records its raw byte range. Depth, input length and value count are bounded by the options.
/// </summary>
internal sealed class BencodeParser
{
    private readonly ReadOnlyMemory<byte> _input;
    private readonly BencodeReaderOptions _options;
    private int _pos;
    private int _valueCount;

    private BencodeParser(ReadOnlyMemory<byte> input, BencodeReaderOptions options)
    {
        _input = input;
        _options = options;
    }

    public static BValue Parse(ReadOnlyMemory<byte> input, BencodeReaderOptions options)
    {
        if (input.Length > options.MaxInputLength)
        {
            throw new BencodeFormatException($"input is {input.Length} bytes, more than the limit of {options.MaxInputLength}", 0);
        }

        if (input.IsEmpty)
        {
            throw new BencodeFormatException("input is empty", 0);
        }

        var parser = new BencodeParser(input, options);
        var value = parser.ParseValue(depth: 0);
        if (parser._pos != input.Length)
        {
            throw new BencodeFormatException($"{input.Length - parser._pos} unexpected byte(s) after the end of the top-level value", parser._pos);
        }

        return value;
    }

    private BValue ParseValue(int depth)
    {
        var span = _input.Span;
        if (_pos >= span.Length)
        {
            throw Error("unexpected end of input, expected a value");
        }

        if (++_valueCount > _options.MaxValueCount)
        {
            throw Error($"more than {_options.MaxValueCount} values");
        }

        var start = _pos;
        BValue value = span[_pos] switch
        {
            (byte)'i' => ParseInteger(),
            (byte)'l' => ParseList(depth + 1),
            (byte)'d' => ParseDictionary(depth + 1),
            >= (byte)'0' and <= (byte)'9' => ParseString(),
            var b => throw Error($"unexpected byte 0x{b:x2}, expected 'i', 'l', 'd' or a string length"),
        };
        value.RawBytes = _input[start.._pos];
        value.SourceOffset = start;
        return value;
    }

    private BInteger ParseInteger()
    {
        var span = _input.Span;
        _pos++; // 'i'
        var negative = false;
        if (_pos < span.Length && span[_pos] == (byte)'-')
        {
            negative = true;
            _pos++;
        }

        var digitsStart = _pos;
        ulong magnitude = 0;
        var limit = negative ? (ulong)long.MaxValue + 1 : long.MaxValue;
        while (_pos < span.Length && span[_pos] is >= (byte)'0' and <= (byte)'9')
        {
            var digit = (ulong)(span[_pos] - '0');
            if (magnitude > (limit - digit) / 10)
            {
                throw Error("integer does not fit in 64 bits", digitsStart);
            }

            magnitude = (magnitude * 10) + digit;
            _pos++;
        }

        var digitCount = _pos - digitsStart;
        if (_pos >= span.Length)
        {
            throw Error("unexpected end of input inside an integer");
        }

        if (span[_pos] != (byte)'e')
        {
            throw Error($"unexpected byte 0x{span[_pos]:x2} in an integer, expected a digit or 'e'");
        }

        if (digitCount == 0)
        {
            throw Error("integer has no digits", digitsStart);
        }

        if (digitCount > 1 && span[digitsStart] == (byte)'0')
        {
            throw Error("integer has a leading zero", digitsStart);
        }

        if (negative && magnitude == 0)
        {
            throw Error("negative zero is not allowed", digitsStart - 1);
        }

        _pos++; // 'e'
        return new BInteger(negative ? (long)(0 - magnitude) : (long)magnitude);
    }

    private BString ParseString()
    {
        var span = _input.Span;
        var lengthStart = _pos;
        long length = 0;
        while (_pos < span.Length && span[_pos] is >= (byte)'0' and <= (byte)'9')
        {
            length = (length * 10) + (span[_pos] - '0');
            if (length > span.Length)
            {
                throw Error("string length is longer than the input", lengthStart);
            }

            _pos++;
        }

        if (_pos >= span.Length)
        {
            throw Error("unexpected end of input inside a string length");
        }

        if (span[_pos] != (byte)':')
        {
            throw Error($"unexpected byte 0x{span[_pos]:x2} in a string length, expected a digit or ':'");
        }

        if (_pos - lengthStart > 1 && span[lengthStart] == (byte)'0')
        {
            throw Error("string length has a leading zero", lengthStart);
        }

        _pos++; // ':'
        if (length > span.Length - _pos)
        {
            throw Error($"string of {length} bytes runs past the end of the input ({span.Length - _pos} left)", lengthStart);
        }

        var bytes = _input.Slice(_pos, (int)length);
        _pos += (int)length;
        return new BString(bytes);
    }

    private BList ParseList(int depth)
    {
        CheckDepth(depth);
        _pos++; // 'l'
        var items = new List<BValue>();
        while (true)
        {
            if (_pos >= _input.Length)
            {
                throw Error("unexpected end of input inside a list");
            }

            if (_input.Span[_pos] == (byte)'e')
            {
                _pos++;
                return BList.Wrap(items.ToArray());
            }

            items.Add(ParseValue(depth));
        }
    }

    private BDictionary ParseDictionary(int depth)
    {
        CheckDepth(depth);
        var dictStart = _pos;
        _pos++; // 'd'
        var entries = new List<KeyValuePair<BString, BValue>>();
        var sorted = true;
        while (true)
        {
            if (_pos >= _input.Length)
            {
                throw Error("unexpected end of input inside a dictionary");
            }

            var b = _input.Span[_pos];
            if (b == (byte)'e')
            {
                _pos++;
                break;
            }

            if (b is < (byte)'0' or > (byte)'9')
            {
                throw Error($"dictionary key must be a string, found byte 0x{b:x2}");
            }

            var keyStart = _pos;
            var key = (BString)ParseValue(depth);
            if (entries.Count > 0)
            {
                var previous = entries[^1].Key;
                var cmp = previous.Span.SequenceCompareTo(key.Span);
                if (cmp == 0)
                {
                    throw Error($"duplicate dictionary key \"{key}\"", keyStart);
                }

                if (cmp > 0)
                {
                    if (!_options.AllowUnsortedKeys)
                    {
                        throw Error($"dictionary key \"{key}\" is out of order (keys must be sorted as raw bytes)", keyStart);
                    }

                    sorted = false;
                }
            }

            if (_pos >= _input.Length)
            {
                throw Error($"unexpected end of input, expected a value for key \"{key}\"");
            }

            if (_input.Span[_pos] == (byte)'e')
            {
                throw Error($"dictionary key \"{key}\" has no value");
            }

            entries.Add(new(key, ParseValue(depth)));
        }

        var array = entries.ToArray();
        if (!sorted)
        {
            Array.Sort(array, BDictionary.CompareKeys);
            if (BDictionary.FindDuplicate(array) is { } duplicate)
            {
                throw Error($"duplicate dictionary key \"{duplicate}\"", dictStart);
            }
        }

        return BDictionary.Wrap(array);
    }

    private void CheckDepth(int depth)
    {
        if (depth > _options.MaxDepth)
        {
            throw Error($"nesting deeper than {_options.MaxDepth} levels");
        }
    }

    private BencodeFormatException Error(string reason) => new(reason, _pos);

    private static BencodeFormatException Error(string reason, int offset) => new(reason, offset);
}
