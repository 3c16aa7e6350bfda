import Foundation
import NIOCore
import NIOEmbedded
import NIOHTTP1
import NIOPosix
import OpenrukoCore
import Synchronization
import TestSupport
import Testing

@testable import Routing

/// A client connection's objects are freed once it closes (issue 21: every short connection
/// leaked its `ProxyHandler`, context and pipeline through a handler ⇄ context cycle). The
/// checks watch the handlers through weak references: no timing, no memory figures.
@Suite(.timeLimit(.minutes(15))) struct RouterConnectionLeakTests {
    @Test func aClosedConnectionFreesItsHandler() throws {
        weak var released: ProxyHandler?
        do {
            let channel = EmbeddedChannel()
            let environment = ProxyEnvironment(
                configuration: RouterConfiguration(listen: ListenAddress(host: "127.0.0.1", port: 0)), routes: TestRouteTable(),
                logs: CollectingLogSink(), inFlight: InFlightRequests())
            let configuration = environment.configuration
            let pool = BackendPool(eventLoop: channel.eventLoop, configuration: configuration)
            let handler = ProxyHandler(environment: environment, pool: pool)
            released = handler
            try channel.pipeline.syncOperations.addHandler(handler)
            channel.connect(to: try SocketAddress(ipAddress: "127.0.0.1", port: 1), promise: nil)
            try channel.writeInbound(ByteBuffer(string: "GET / HTTP/1.1\r\nHost: nope.localhost\r\nConnection: close\r\n\r\n"))
            let answer = try #require(try channel.readOutbound(as: ByteBuffer.self))
            #expect(String(buffer: answer).hasPrefix("HTTP/1.1 404"))
            channel.embeddedEventLoop.run()
            #expect(!channel.isActive, "a Connection: close request closes the connection")
        }
        #expect(released == nil, "the handler outlived its closed channel")
    }

    /// Over real sockets, every way a connection ends: kept alive then closed by the client,
    /// `Connection: close`, no such app, a malformed head, a dyno that hangs up, a client that
    /// leaves mid-request.
    @Test func everyWayAConnectionEndsFreesItsHandler() async throws {
        let backend = try await TestBackend.start(name: "web.1")
        let server = try await LeakWatchingRouter.start()
        server.routes.set("leak.localhost", .backends(app: "leak", appID: UUID(), [backend.backend]))

        // Kept alive, then closed by the client.
        let kept = try await TestClient.connect(port: server.port)
        var parts = kept.parts.makeAsyncIterator()
        try await kept.get("/", host: "leak.localhost")
        #expect(try await parts.response().head.status == .ok)
        await kept.close()

        // The dyno hangs up without answering (H13).
        let dropped = try await TestClient.connect(port: server.port)
        var droppedParts = dropped.parts.makeAsyncIterator()
        try await dropped.get("/close", host: "leak.localhost")
        #expect(try await droppedParts.response().head.status.code == UInt(RoutingError.connectionClosed.status))
        await dropped.close()

        // The client leaves in the middle of its request body, the dyno connection in use (H27).
        let impatient = try await TestClient.connect(port: server.port)
        let upload = HTTPRequestHead(
            version: .http1_1, method: .POST, uri: "/upload", headers: ["host": "leak.localhost", "content-length": "10"])
        try await impatient.send(.head(upload))
        try await impatient.send(.body(.byteBuffer(ByteBuffer(string: "first"))))
        await backend.gates.wait("upload-first-part")
        await impatient.close()

        // The router closes: Connection: close, an unknown host, a malformed head.
        for request in [
            "GET / HTTP/1.1\r\nHost: leak.localhost\r\nConnection: close\r\n\r\n",
            "GET / HTTP/1.1\r\nHost: nope.localhost\r\nConnection: close\r\n\r\n",
            "NOT HTTP\r\n\r\n",
        ] {
            let result = try await ProcessRunner.run("/usr/bin/python3", ["-c", Self.rawClient, String(server.port), request])
            #expect(result.stdout.hasPrefix("HTTP/1.1 "), "\(result.stderr)")
        }

        let handlers = try await server.closeAllAndCollect()
        #expect(handlers.total == 6)
        #expect(handlers.alive == 0, "\(handlers.alive) of \(handlers.total) handlers outlived their connections")
        await backend.stop()
    }

    /// Sends argv[2] to 127.0.0.1:argv[1] and prints what comes back until the router closes.
    static let rawClient = """
        import socket, sys
        s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=30)
        s.sendall(sys.argv[2].encode())
        data = b""
        while chunk := s.recv(65536): data += chunk
        sys.stdout.write(data.decode(errors="replace"))
        """
}

/// The router's client side on one event loop, like `RouterService`, keeping a weak reference
/// to every `ProxyHandler` and the close future of every connection.
private final class LeakWatchingRouter: Sendable {
    let routes: TestRouteTable
    let port: Int
    private let group: MultiThreadedEventLoopGroup
    private let server: any Channel
    private let watch: ConnectionWatch

    private init(routes: TestRouteTable, group: MultiThreadedEventLoopGroup, server: any Channel, watch: ConnectionWatch) {
        self.routes = routes
        self.group = group
        self.server = server
        self.port = server.localAddress!.port!
        self.watch = watch
    }

    static func start() async throws -> LeakWatchingRouter {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let loop = group.next()
        let routes = TestRouteTable()
        let configuration = RouterConfiguration(listen: ListenAddress(host: "127.0.0.1", port: 0))
        let environment = ProxyEnvironment(
            configuration: configuration, routes: routes, logs: CollectingLogSink(), inFlight: InFlightRequests())
        let pool = NIOLoopBoundBox.makeBoxSendingValue(
            BackendPool(eventLoop: loop, configuration: configuration), eventLoop: loop)
        let watch = ConnectionWatch()
        let server = try await ServerBootstrap(group: group)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let handler = ProxyHandler(environment: environment, pool: pool.value)
                    watch.add(handler, closed: channel.closeFuture)
                    try channel.pipeline.syncOperations.addHandler(handler)
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return LeakWatchingRouter(routes: routes, group: group, server: server, watch: watch)
    }

    /// Waits for every accepted connection to close, stops, and counts the handlers still alive.
    func closeAllAndCollect() async throws -> (total: Int, alive: Int) {
        for future in watch.closeFutures { try await future.get() }
        // Whatever the closes scheduled on the loop has run once this has.
        try await group.next().submit {}.get()
        let counts = watch.counts
        try await server.close()
        try await group.shutdownGracefully()
        return counts
    }
}

/// Weak references to handlers and their connections' close futures.
private final class ConnectionWatch: Sendable {
    private final class Weak: @unchecked Sendable {
        // @unchecked: written once at creation, then only read.
        weak var handler: ProxyHandler?
        init(_ handler: ProxyHandler) { self.handler = handler }
    }

    private let state = Mutex<(handlers: [Weak], closed: [EventLoopFuture<Void>])>(([], []))

    func add(_ handler: ProxyHandler, closed: EventLoopFuture<Void>) {
        state.withLock {
            $0.handlers.append(Weak(handler))
            $0.closed.append(closed)
        }
    }

    var closeFutures: [EventLoopFuture<Void>] { state.withLock { $0.closed } }

    /// Handlers seen, and those not freed yet.
    var counts: (total: Int, alive: Int) {
        state.withLock { state in (state.handlers.count, state.handlers.count { $0.handler != nil }) }
    }
}
