import NIOCore
import NIOHTTP2
import NIOTLS

/// The TLS listener's connections after the handshake: ALPN picks HTTP/2 (`h2`) or HTTP/1.1.
/// An HTTP/2 connection carries each request on a stream channel of its own, proxied by the
/// same `ProxyHandler` as an HTTP/1.1 connection (through `HTTP2StreamBridge`), to the dyno
/// over HTTP/1.1, as Heroku's router does.
///
/// What one client may hold is bounded: 100 concurrent streams, 16 KiB of header list, 1 MiB
/// of request body buffered per connection (flow control), each stream counted against the
/// router's connection cap like a connection (it may hold a dyno connection); rapid resets,
/// CONTINUATION floods and control-frame floods close the connection (NIOHTTP2's limits); a
/// connection with no stream for the idle timeout is closed.
enum HTTP2Connection {
    /// Streams one connection may have open at once.
    static let maximumConcurrentStreams = 100
    /// The largest header list (HPACK-decoded) a request may carry.
    static let maximumHeaderListSize = 16 * 1024
    /// Request body bytes a connection may have in flight (its flow-control window).
    static let connectionWindow = 1 << 20

    /// Adds the ALPN choice to a TLS connection's pipeline, and closes a connection whose
    /// handshake does not finish within the client idle timeout.
    static func configure(
        _ channel: any Channel, environment: ProxyEnvironment, pool: BackendPool, gate: ConnectionGate
    ) throws {
        let loop = channel.eventLoop
        let deadline = loop.assumeIsolated().scheduleTask(in: environment.configuration.clientIdleTimeout) {
            channel.close(promise: nil)
        }
        channel.closeFuture.whenComplete { _ in deadline.cancel() }
        let boundPool = NIOLoopBound(pool, eventLoop: loop)
        let negotiation = ApplicationProtocolNegotiationHandler { result, channel in
            deadline.cancel()
            return channel.eventLoop.makeCompletedFuture {
                if case .negotiated("h2") = result {
                    try startHTTP2(channel, environment: environment, pool: boundPool, gate: gate)
                } else {
                    try channel.pipeline.syncOperations.addHandler(ProxyHandler(environment: environment, pool: boundPool.value))
                }
            }
        }
        try channel.pipeline.syncOperations.addHandler(negotiation)
    }

    /// The HTTP/2 handler with its stream multiplexer, and the connection's guard (idle close,
    /// `GOAWAY` on shutdown).
    private static func startHTTP2(
        _ channel: any Channel, environment: ProxyEnvironment, pool: NIOLoopBound<BackendPool>, gate: ConnectionGate
    ) throws {
        let connectionGuard = HTTP2ConnectionGuard(
            idleTimeout: environment.configuration.clientIdleTimeout, eventLoop: channel.eventLoop)
        var connection = NIOHTTP2Handler.ConnectionConfiguration()
        connection.initialSettings = [
            HTTP2Setting(parameter: .maxConcurrentStreams, value: maximumConcurrentStreams),
            HTTP2Setting(parameter: .maxHeaderListSize, value: maximumHeaderListSize),
            HTTP2Setting(parameter: .initialWindowSize, value: 65535),
        ]
        connection.targetWindowSize = connectionWindow
        let handler = NIOHTTP2Handler(
            mode: .server, eventLoop: channel.eventLoop, connectionConfiguration: connection,
            streamConfiguration: NIOHTTP2Handler.StreamConfiguration(), streamDelegate: connectionGuard.delegate
        ) { stream in
            stream.eventLoop.makeCompletedFuture {
                guard gate.admit(stream, plainHTTP: false) else { return }
                let operations = stream.pipeline.syncOperations
                try operations.addHandler(HTTP2FramePayloadToHTTP1ServerCodec())
                try operations.addHandler(HTTP2StreamBridge())
                try operations.addHandler(ProxyHandler(environment: environment, pool: pool.value))
            }
        }
        try channel.pipeline.syncOperations.addHandler(handler)
        try channel.pipeline.syncOperations.addHandler(connectionGuard)
    }
}
