using FileSwarm.Rpc.Internal;
using FsCheck;
using FsCheck.Fluent;

namespace FileSwarm.Rpc.Tests.Protocol;

/// <summary>-bin values, metadata from headers, and the HTTP status / RST_STREAM / content-type rules.</summary>
public sealed class HeaderMappingTests
{
    [Theory]
    [InlineData(new byte[] { }, "")]
    [InlineData(new byte[] { 1 }, "AQ")]
    [InlineData(new byte[] { 1, 2 }, "AQI")]
    [InlineData(new byte[] { 1, 2, 3 }, "AQID")]
    [InlineData(new byte[] { 0xAB, 0xAB, 0xAB }, "q6ur")]
    public void EncodeBinaryHeader_sends_base64_without_padding(byte[] value, string expected) =>
        Assert.Equal(expected, GrpcProtocol.EncodeBinaryHeader(value));

    [Theory]
    [InlineData("AQ", new byte[] { 1 })]
    [InlineData("AQ==", new byte[] { 1 })]
    [InlineData("AQI", new byte[] { 1, 2 })]
    [InlineData("AQI=", new byte[] { 1, 2 })]
    [InlineData("AQID", new byte[] { 1, 2, 3 })]
    [InlineData(" AQID ", new byte[] { 1, 2, 3 })]
    [InlineData("", new byte[] { })]
    public void TryDecodeBinaryHeader_accepts_padded_and_unpadded_base64(string value, byte[] expected)
    {
        Assert.True(GrpcProtocol.TryDecodeBinaryHeader(value, out var bytes));
        Assert.Equal(expected, bytes);
    }

    [Theory]
    [InlineData("A")] // one character can't be base64 of anything
    [InlineData("AQIDB")]
    [InlineData("!!!!")]
    [InlineData("AQ===")]
    public void TryDecodeBinaryHeader_rejects_what_is_not_base64(string value) =>
        Assert.False(GrpcProtocol.TryDecodeBinaryHeader(value, out _));

    [Fact]
    public void Binary_values_round_trip_padded_and_unpadded() =>
        Prop.ForAll<byte[]>(bytes =>
                GrpcProtocol.TryDecodeBinaryHeader(GrpcProtocol.EncodeBinaryHeader(bytes), out var unpadded)
                && unpadded.SequenceEqual(bytes)
                && GrpcProtocol.TryDecodeBinaryHeader(Convert.ToBase64String(bytes), out var padded)
                && padded.SequenceEqual(bytes))
            .QuickCheckThrowOnFailure();

    [Fact]
    public void AddHeaderToMetadata_splits_comma_joined_binary_values_before_decoding()
    {
        var metadata = new Metadata();
        GrpcProtocol.AddHeaderToMetadata(metadata, "X-Data-Bin", ["AQ,AQI=", "AQID"]);

        Assert.Equal(3, metadata.Count);
        Assert.All(metadata, e => Assert.Equal("x-data-bin", e.Key));
        Assert.Equal(new byte[] { 1 }, metadata[0].ValueBytes);
        Assert.Equal(new byte[] { 1, 2 }, metadata[1].ValueBytes);
        Assert.Equal(new byte[] { 1, 2, 3 }, metadata[2].ValueBytes);
    }

    [Fact]
    public void AddHeaderToMetadata_leaves_out_reserved_headers_and_values_it_cannot_read()
    {
        var metadata = new Metadata();
        foreach (var reserved in new[] { ":path", "grpc-status", "grpc-timeout", "content-type", "te", "user-agent", "host" })
        {
            GrpcProtocol.AddHeaderToMetadata(metadata, reserved, ["x"]);
        }

        GrpcProtocol.AddHeaderToMetadata(metadata, "x-text", ["ok", "bad\u00E9"]);
        GrpcProtocol.AddHeaderToMetadata(metadata, "x-broken-bin", ["!!!"]);

        var entry = Assert.Single(metadata);
        Assert.Equal("x-text", entry.Key);
        Assert.Equal("ok", entry.Value);
    }

    [Theory]
    [InlineData(400, StatusCode.Internal)]
    [InlineData(431, StatusCode.Internal)]
    [InlineData(401, StatusCode.Unauthenticated)]
    [InlineData(403, StatusCode.PermissionDenied)]
    [InlineData(404, StatusCode.Unimplemented)]
    [InlineData(429, StatusCode.Unavailable)]
    [InlineData(502, StatusCode.Unavailable)]
    [InlineData(503, StatusCode.Unavailable)]
    [InlineData(504, StatusCode.Unavailable)]
    [InlineData(200, StatusCode.Unknown)]
    [InlineData(302, StatusCode.Unknown)]
    [InlineData(405, StatusCode.Unknown)]
    [InlineData(500, StatusCode.Unknown)]
    public void FromHttpStatus_maps_as_the_grpc_table_says(int httpStatus, StatusCode expected) =>
        Assert.Equal(expected, GrpcProtocol.FromHttpStatus(httpStatus));

    [Theory]
    [InlineData(0x8L, StatusCode.Cancelled)]
    [InlineData(0x7L, StatusCode.Unavailable)]
    [InlineData(0xBL, StatusCode.ResourceExhausted)]
    [InlineData(0xCL, StatusCode.PermissionDenied)]
    [InlineData(0x0L, StatusCode.Internal)]
    [InlineData(0x1L, StatusCode.Internal)]
    [InlineData(0x2L, StatusCode.Internal)]
    [InlineData(0x3L, StatusCode.Internal)]
    [InlineData(0xDL, StatusCode.Internal)]
    [InlineData(0xFFL, StatusCode.Internal)]
    public void FromHttp2ErrorCode_maps_rst_stream_codes(long errorCode, StatusCode expected) =>
        Assert.Equal(expected, GrpcProtocol.FromHttp2ErrorCode(errorCode));

    [Theory]
    [InlineData("application/grpc", true)]
    [InlineData("application/grpc+proto", true)]
    [InlineData("application/grpc+json", true)]
    [InlineData("application/grpc; charset=utf-8", true)]
    [InlineData("APPLICATION/GRPC", true)]
    [InlineData("application/grpc-web", false)]
    [InlineData("application/grpcx", false)]
    [InlineData("application/json", false)]
    [InlineData("text/plain", false)]
    [InlineData("", false)]
    [InlineData(null, false)]
    public void IsGrpcContentType_accepts_grpc_and_its_subtypes_only(string? contentType, bool expected) =>
        Assert.Equal(expected, GrpcProtocol.IsGrpcContentType(contentType));

    [Theory]
    [InlineData("0", StatusCode.OK)]
    [InlineData("4", StatusCode.DeadlineExceeded)]
    [InlineData("16", StatusCode.Unauthenticated)]
    public void TryParseStatus_reads_numeric_codes(string value, StatusCode expected)
    {
        Assert.True(GrpcProtocol.TryParseStatus(value, out var code));
        Assert.Equal(expected, code);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("-1")]
    [InlineData(" 1")]
    [InlineData("OK")]
    [InlineData("17")]
    [InlineData("99")]
    public void TryParseStatus_rejects_what_is_not_a_grpc_status(string? value)
    {
        Assert.False(GrpcProtocol.TryParseStatus(value, out var code));
        Assert.Equal(StatusCode.Unknown, code);
    }
}
