import NIOCore
import NIOHTTP2
import Testing

@testable import Routing

/// Which errors NIOHTTP2 reports end the whole connection (it has sent GOAWAY: floods, bytes that
/// are not HTTP/2) and which end one stream only (the connection and its other streams go on).
@Suite(.timeLimit(.minutes(1))) struct HTTP2ConnectionGuardTests {
    @Test func floodsAndGarbageEndTheConnection() {
        #expect(HTTP2ConnectionGuard.endsConnection(NIOHTTP2Errors.excessiveRSTFrames()))
        #expect(HTTP2ConnectionGuard.endsConnection(NIOHTTP2Errors.excessiveControlFrames()))
        #expect(HTTP2ConnectionGuard.endsConnection(NIOHTTP2Errors.excessiveEmptyDataFrames()))
        #expect(HTTP2ConnectionGuard.endsConnection(NIOHTTP2Errors.excessiveContinuationFrames()))
    }

    @Test func aStreamsErrorEndsOnlyThatStream() {
        #expect(!HTTP2ConnectionGuard.endsConnection(NIOHTTP2Errors.streamClosed(streamID: HTTP2StreamID(5), errorCode: .cancel)))
        #expect(!HTTP2ConnectionGuard.endsConnection(NIOHTTP2Errors.noSuchStream(streamID: HTTP2StreamID(7))))
        #expect(!HTTP2ConnectionGuard.endsConnection(ChannelError.ioOnClosedChannel))
    }
}
