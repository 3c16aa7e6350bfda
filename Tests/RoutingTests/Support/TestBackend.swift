import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket
import OpenrukoCore
import Synchronization

/// What a test backend saw of one request.
struct SeenRequest: Sendable {
    var method: String
    var uri: String
    var headers: [(String, String)]
    var connection: Int
}

/// The JSON the backend answers most paths with.
struct Echo: Codable, Sendable {
    var backend: String
    var connection: Int
    var method: String
    var path: String
    var headers: [String: String]
    var bodyBytes: Int
    var bodySHA: String?
}

/// Named one-shot signals between a test and a backend: `open` once, `wait` any number of times.
final class Gates: Sendable {
    private let state = Mutex<(open: Set<String>, waiters: [String: [CheckedContinuation<Void, Never>]])>(([], [:]))

    func open(_ name: String) {
        let waiters = state.withLock { state in
            state.open.insert(name)
            return state.waiters.removeValue(forKey: name) ?? []
        }
        waiters.forEach { $0.resume() }
    }

    func wait(_ name: String) async {
        await withCheckedContinuation { continuation in
            let ready = state.withLock { state in
                if state.open.contains(name) { return true }
                state.waiters[name, default: []].append(continuation)
                return false
            }
            if ready { continuation.resume() }
        }
    }

    func isOpen(_ name: String) -> Bool { state.withLock { $0.open.contains(name) } }
}

/// A real HTTP/1.1 server on 127.0.0.1 standing in for a dyno. Paths choose the behaviour:
/// `/hang` never answers, `/close` hangs up, `/wait/KEY` answers once gate KEY opens,
/// `/stream` sends `first` then `second` once gate `stream-second` opens, `/early` answers on
/// the head (before the body), `/big/N` sends N
/// bytes chunked, `/upload` opens gate `upload-first-part` on the first body part, `/ws` is a
/// WebSocket echo; anything else gets an `Echo`.
final class TestBackend: Sendable {
    let name: String
    let port: Int
    let gates: Gates
    private let channel: any Channel
    private let counters: SharedCounters

    /// This server as the runtime would report a dyno.
    let backend: Backend

    private init(name: String, channel: any Channel, gates: Gates, counters: SharedCounters) {
        self.name = name
        self.channel = channel
        self.gates = gates
        self.port = channel.localAddress!.port!
        self.counters = counters
        backend = Backend(id: UUID(), dyno: name, host: "127.0.0.1", port: channel.localAddress!.port!)
    }

    static func start(name: String, gates: Gates = Gates()) async throws -> TestBackend {
        let box = SharedCounters()
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            // Room for a flood's hundreds of dyno connections at once (NIO's default is 128).
            .serverChannelOption(.backlog, value: 1024)
            .childChannelInitializer { channel in
                let number = box.nextConnection()
                let upgrader = NIOWebSocketServerUpgrader(
                    maxFrameSize: 1 << 22,
                    shouldUpgrade: { channel, head in
                        channel.eventLoop.makeSucceededFuture(head.uri == "/ws" ? HTTPHeaders() : nil)
                    },
                    upgradePipelineHandler: { channel, _ in
                        channel.eventLoop.makeCompletedFuture {
                            let operations = channel.pipeline.syncOperations
                            operations.removeHandler(try operations.handler(type: BackendServerHandler.self), promise: nil)
                            try operations.addHandler(WebSocketEcho())
                        }
                    })
                return channel.eventLoop.makeCompletedFuture {
                    let handler = BackendServerHandler(name: name, connection: number, gates: gates, counters: box)
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(
                        withServerUpgrade: (upgraders: [upgrader], completionHandler: { _ in }))
                    try channel.pipeline.syncOperations.addHandler(handler)
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return TestBackend(name: name, channel: channel, gates: gates, counters: box)
    }

    var connections: Int { counters.state.withLock { $0.connections } }
    var requests: [SeenRequest] { counters.state.withLock { $0.requests } }

    func stop() async {
        try? await channel.close()
    }
}

/// Counters shared by a backend's connections.
final class SharedCounters: Sendable {
    let state = Mutex<(connections: Int, requests: [SeenRequest])>((0, []))

    func nextConnection() -> Int {
        state.withLock { state in
            state.connections += 1
            return state.connections
        }
    }

    func record(_ request: SeenRequest) {
        state.withLock { $0.requests.append(request) }
    }
}

/// One connection of a `TestBackend`.
private final class BackendServerHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let name: String
    let connection: Int
    let gates: Gates
    let counters: SharedCounters
    var head: HTTPRequestHead?
    var body = ByteBuffer()
    var bodyParts = 0

    init(name: String, connection: Int, gates: Gates, counters: SharedCounters) {
        self.name = name
        self.connection = connection
        self.gates = gates
        self.counters = counters
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            body.clear()
            bodyParts = 0
            counters.record(
                SeenRequest(method: head.method.rawValue, uri: head.uri, headers: head.headers.map { ($0.name, $0.value) }, connection: connection))
            if head.uri == "/close" { context.close(promise: nil) }
            if head.uri == "/early" { Self.send(makeEcho(head), on: context.channel, keepAlive: head.isKeepAlive) }
            if head.headers["expect"].first?.lowercased() == "100-continue" {
                let proceed = HTTPResponseHead(version: .http1_1, status: .continue)
                context.writeAndFlush(wrapOutboundOut(.head(proceed)), promise: nil)
            }
        case .body(var buffer):
            bodyParts += 1
            if head?.uri == "/upload" && bodyParts == 1 { gates.open("upload-first-part") }
            body.writeBuffer(&buffer)
        case .end:
            guard let head, head.uri != "/early" else { return }
            respond(context: context, to: head)
        }
    }

    private func respond(context: ChannelHandlerContext, to head: HTTPRequestHead) {
        let path = head.uri
        let keepAlive = head.isKeepAlive
        let channel = context.channel
        if path == "/hang" || path == "/close" { return }
        if path.hasPrefix("/wait/") {
            let key = String(path.dropFirst(6))
            let echo = makeEcho(head)
            let gates = gates
            Task {
                await gates.wait(key)
                BackendServerHandler.send(echo, on: channel, keepAlive: keepAlive)
            }
            return
        }
        if path == "/stream" {
            let headers = HTTPHeaders([("content-type", "text/plain")])
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers))), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: "first\n")))), promise: nil)
            let gates = gates
            Task {
                await gates.wait("stream-second")
                channel.write(HTTPServerResponsePart.body(.byteBuffer(ByteBuffer(string: "second\n"))), promise: nil)
                channel.writeAndFlush(HTTPServerResponsePart.end(nil), promise: nil)
            }
            return
        }
        if path.hasPrefix("/big/"), let size = Int(path.dropFirst(5)) {
            let headers = HTTPHeaders([("content-type", "application/octet-stream")])
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers))), promise: nil)
            var remaining = size
            while remaining > 0 {
                let length = min(remaining, Self.pattern.readableBytes)
                context.write(wrapOutboundOut(.body(.byteBuffer(Self.pattern.getSlice(at: 0, length: length)!))), promise: nil)
                remaining -= length
            }
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            return
        }
        Self.send(makeEcho(head), on: channel, keepAlive: keepAlive)
    }

    /// 64 KiB of counting bytes, sent in slices by `/big/N`.
    static let pattern = ByteBuffer(bytes: (0..<65536).map { UInt8(truncatingIfNeeded: $0) })

    private func makeEcho(_ head: HTTPRequestHead) -> Echo {
        var headers: [String: String] = [:]
        for (name, value) in head.headers {
            let key = name.lowercased()
            headers[key] = headers[key].map { $0 + ", " + value } ?? value
        }
        let bytes = Array(body.readableBytesView)
        return Echo(
            backend: name, connection: connection, method: head.method.rawValue, path: head.uri, headers: headers,
            bodyBytes: bytes.count, bodySHA: bytes.isEmpty ? nil : Checksum.hex(bytes))
    }

    private static func send(_ echo: Echo, on channel: any Channel, keepAlive: Bool) {
        let data = try! JSONEncoder().encode(echo)
        var headers = HTTPHeaders([("content-type", "application/json"), ("content-length", String(data.count))])
        if !keepAlive { headers.add(name: "connection", value: "close") }
        channel.write(HTTPServerResponsePart.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers)), promise: nil)
        channel.write(HTTPServerResponsePart.body(.byteBuffer(ByteBuffer(bytes: data))), promise: nil)
        let done = channel.writeAndFlush(HTTPServerResponsePart.end(nil))
        if !keepAlive { done.whenComplete { _ in channel.close(promise: nil) } }
    }
}

/// Echoes every WebSocket data frame; answers pings and closes.
private final class WebSocketEcho: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch frame.opcode {
        case .text, .binary, .continuation:
            let reply = WebSocketFrame(fin: frame.fin, opcode: frame.opcode, data: frame.unmaskedData)
            context.writeAndFlush(wrapOutboundOut(reply), promise: nil)
        case .ping:
            context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .pong, data: frame.unmaskedData)), promise: nil)
        case .connectionClose:
            let close = WebSocketFrame(fin: true, opcode: .connectionClose, data: frame.unmaskedData)
            context.writeAndFlush(wrapOutboundOut(close)).assumeIsolated().whenComplete { _ in context.close(promise: nil) }
        default:
            break
        }
    }
}

/// A small, dependency-free digest for comparing bodies (FNV-1a 64, hex).
enum Checksum {
    static func hex(_ bytes: some Sequence<UInt8>) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        return String(hash, radix: 16)
    }
}
