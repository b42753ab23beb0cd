namespace Chronoq.Protocol.Grpc;

/// <summary>What reading the next length-prefixed message found.</summary>
public enum GrpcFrameReadStatus
{
    /// <summary>A complete, parsed message.</summary>
    Message,

    /// <summary>The stream ended cleanly between messages.</summary>
    EndOfStream,

    /// <summary>The length prefix exceeds the maximum; nothing was buffered (RESOURCE_EXHAUSTED).</summary>
    MessageTooLarge,

    /// <summary>The stream ended inside a frame: a partial prefix or fewer bytes than the prefix announced.</summary>
    TruncatedFrame,

    /// <summary>The compressed flag is set; Chronoq only speaks identity, so the caller decides the status.</summary>
    Compressed,

    /// <summary>The frame's bytes are not a valid protobuf message of the expected type.</summary>
    InvalidMessage,
}
