import NIOCore
import NIOPosix
import OpenrukoCore

/// One TCP (or TLS) connection of a `syslog://` / `syslog+tls://` drain: frames written as
/// lines come, until the endpoint closes the connection or a write fails.
struct SyslogSession {
    let url: DrainURL
    let token: String
    let tls: DrainTLS

    func run(_ worker: DrainWorker) async throws {
        let secure = url.kind.secure
        let host = url.host
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(.seconds(10))
            .connect(host: url.host, port: url.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    if secure { try tls.addHandler(to: channel, host: host) }
                    return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        try await channel.executeThenClose { inbound, outbound in
            try await withThrowingTaskGroup(of: Void.self) { group in
                // The endpoint never speaks; its end of input means the connection is gone.
                group.addTask {
                    for try await _ in inbound {}
                    throw DrainFailure("The syslog endpoint closed the connection.")
                }
                group.addTask {
                    while let batch = await worker.nextBatch() {
                        var buffer = ByteBuffer()
                        for line in batch {
                            if let frame = SyslogFrame.syslog(line, token: token) { buffer.writeString(frame) }
                        }
                        try await outbound.write(buffer)
                        worker.confirm(batch.count)
                    }
                }
                try await group.next()
                group.cancelAll()
            }
        }
    }
}
