using Chronoq.Protocol.Grpc;

namespace Chronoq.Service.Tests.Protocol;

public sealed class GrpcStatusMessageTests
{
    [Theory]
    [InlineData("plain text", "plain text")]
    [InlineData("100%", "100%25")]
    [InlineData("line\nbreak", "line%0Abreak")]
    [InlineData("é", "%C3%A9")]
    [InlineData("日本", "%E6%97%A5%E6%9C%AC")]
    [InlineData("~ and \u007f", "~ and %7F")]
    public void Encode_Message_PercentEncodesOutsidePrintableAscii(string message, string expected) =>
        Assert.Equal(expected, GrpcStatusMessage.Encode(message));

    [Theory]
    [InlineData("a%2")]
    [InlineData("%zz ok")]
    [InlineData("50%")]
    public void Decode_MalformedEscape_KeptAsIs(string value) => Assert.Equal(value, GrpcStatusMessage.Decode(value));

    [Theory]
    [InlineData("unicode 日本 é 😀 100% \r\n\t done")]
    [InlineData("")]
    public void Decode_Encoded_RoundTrips(string message) =>
        Assert.Equal(message, GrpcStatusMessage.Decode(GrpcStatusMessage.Encode(message)));

    [Fact]
    public void IsGrpcContentType_Variants()
    {
        Assert.True(GrpcHeaderNames.IsGrpcContentType("application/grpc"));
        Assert.True(GrpcHeaderNames.IsGrpcContentType("application/grpc+proto"));
        Assert.True(GrpcHeaderNames.IsGrpcContentType("application/grpc; charset=utf-8"));
        Assert.False(GrpcHeaderNames.IsGrpcContentType("application/grpc+json"));
        Assert.False(GrpcHeaderNames.IsGrpcContentType("application/grpc-web"));
        Assert.False(GrpcHeaderNames.IsGrpcContentType("application/json"));
        Assert.False(GrpcHeaderNames.IsGrpcContentType(null));
    }
}
