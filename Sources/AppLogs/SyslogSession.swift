import NIOCore
import OpenrukoCore

/// One TCP (or TLS) connection of a `syslog://` / `syslog+tls://` drain: frames written as
/// lines come, until the endpoint closes the connection or a write fails.
struct SyslogSession {
    let url: DrainURL
    let token: String
    let tls: DrainTLS

    func run(_ worker: DrainWorker) async throws {
        let channel: NIOAsyncChannel<ByteBuffer, ByteBuffer> = try await tls.connect(to: url)
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
