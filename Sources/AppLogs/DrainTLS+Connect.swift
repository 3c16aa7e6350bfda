import NIOCore
import NIOPosix
import OpenrukoCore

extension DrainTLS {
    /// A connection to a drain's endpoint (TLS when its scheme asks for it), with `setup`'s
    /// handlers added after TLS, wrapped for async use.
    func connect<Inbound: Sendable, Outbound: Sendable>(
        to url: DrainURL, setup: @escaping @Sendable (any Channel) throws -> Void = { _ in }
    ) async throws -> NIOAsyncChannel<Inbound, Outbound> {
        let secure = url.kind.secure
        let host = url.host
        return try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(.seconds(10))
            .connect(host: url.host, port: url.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    if secure { try addHandler(to: channel, host: host) }
                    try setup(channel)
                    return try NIOAsyncChannel<Inbound, Outbound>(wrappingChannelSynchronously: channel)
                }
            }
    }
}
