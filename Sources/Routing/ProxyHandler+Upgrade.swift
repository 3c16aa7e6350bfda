import NIOCore
import NIOHTTP1
import OpenrukoCore

/// After a dyno answers an `Upgrade` with 101, both connections become one raw byte tunnel
/// (WebSocket or any other protocol): the HTTP handlers leave both pipelines, and the bytes the
/// decoders had already read past the 101 go through the tunnel first.
extension ProxyHandler {
    func upgrade(_ connection: BackendConnection, response: HTTPResponseHead) {
        guard var exchange, let backendChannel = connection.channel else { return fail(.connectionClosed) }
        self.exchange = nil
        state = .upgrading
        timer?.cancel()
        timer = nil
        let rewritten = HeaderRewriter.respond(
            response, method: exchange.method, clientVersion: exchange.clientVersion, clientKeepAlive: true,
            via: forwarding.via)
        write(.head(rewritten.head))
        context.flush()
        if let counted = exchange.counted { environment.inFlight.end(counted) }
        exchange.log.status = 101
        finishLog(&exchange, now: .now())
        emit(exchange)
        connection.owner = nil

        let (clientEnd, backendEnd) = TunnelHandler.pair()
        let clientChannel = context.channel
        do {
            try Self.becomeTunnel(backendChannel, end: backendEnd, removing: BackendConnection.self)
            try Self.becomeTunnel(clientChannel, end: clientEnd, removing: ProxyHandler.self)
        } catch {
            clientChannel.close(promise: nil)
            backendChannel.close(promise: nil)
        }
    }

    /// Replaces the HTTP handlers of `channel` with `end`. The decoder goes last: its removal
    /// completes on the next loop tick and hands its leftover bytes to `end`.
    private static func becomeTunnel<Handler: RemovableChannelHandler>(
        _ channel: any Channel, end: TunnelHandler, removing handler: Handler.Type
    ) throws {
        let pipeline = channel.pipeline.syncOperations
        let proxy = try pipeline.handler(type: Handler.self)
        pipeline.removeHandler(proxy, promise: nil)
        try pipeline.addHandler(end)
        if let encoder = try? pipeline.handler(type: HTTPResponseEncoder.self) {
            pipeline.removeHandler(encoder, promise: nil)
        }
        if let encoder = try? pipeline.handler(type: HTTPRequestEncoder.self) {
            pipeline.removeHandler(encoder, promise: nil)
        }
        if let decoder = try? pipeline.handler(type: ByteToMessageHandler<HTTPRequestDecoder>.self) {
            pipeline.removeHandler(decoder, promise: nil)
        }
        if let decoder = try? pipeline.handler(type: ByteToMessageHandler<HTTPResponseDecoder>.self) {
            pipeline.removeHandler(decoder, promise: nil)
        }
        channel.read()  // the tunnel decides about reading from here on
    }
}
