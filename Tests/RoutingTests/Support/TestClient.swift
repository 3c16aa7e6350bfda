import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// A real HTTP/1.1 client connection (SwiftNIO's client codec) whose request parts the test
/// sends one by one and whose response parts it reads one by one: for streaming and keep-alive
/// checks that need control over timing.
final class TestClient: Sendable {
    let channel: any Channel
    let parts: AsyncStream<HTTPClientResponsePart>

    private init(channel: any Channel, parts: AsyncStream<HTTPClientResponsePart>) {
        self.channel = channel
        self.parts = parts
    }

    static func connect(port: Int) async throws -> TestClient {
        let (stream, continuation) = AsyncStream.makeStream(of: HTTPClientResponsePart.self)
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(PartCollector(continuation: continuation))
                }
            }
            .connect(host: "127.0.0.1", port: port).get()
        return TestClient(channel: channel, parts: stream)
    }

    func send(_ part: HTTPClientRequestPart) async throws {
        try await channel.writeAndFlush(part)
    }

    /// Sends a whole request without body.
    func get(_ path: String, host: String, headers: [(String, String)] = []) async throws {
        let head = HTTPRequestHead(version: .http1_1, method: .GET, uri: path, headers: HTTPHeaders([("host", host)] + headers))
        try await send(.head(head))
        try await send(.end(nil))
    }

    func close() async {
        try? await channel.close()
    }
}

/// A response read part by part.
struct ReadResponse {
    var head: HTTPResponseHead
    var body: String
}

extension AsyncStream<HTTPClientResponsePart>.Iterator {
    /// The next part; fails the test run (throws) when the connection ends instead.
    mutating func nextPart() async throws -> HTTPClientResponsePart {
        guard let part = await next() else { throw TestFailure("the connection closed") }
        return part
    }

    /// Reads one whole response.
    mutating func response() async throws -> ReadResponse {
        guard case .head(let head) = try await nextPart() else { throw TestFailure("expected a response head") }
        var body = ""
        while true {
            switch try await nextPart() {
            case .body(let buffer): body += String(buffer: buffer)
            case .end: return ReadResponse(head: head, body: body)
            case .head: throw TestFailure("a second head before the end")
            }
        }
    }
}

/// Forwards response parts to an `AsyncStream`; finishes it when the connection closes.
private final class PartCollector: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart
    let continuation: AsyncStream<HTTPClientResponsePart>.Continuation

    init(continuation: AsyncStream<HTTPClientResponsePart>.Continuation) {
        self.continuation = continuation
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        continuation.yield(unwrapInboundIn(data))
    }

    func channelInactive(context: ChannelHandlerContext) {
        continuation.finish()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
