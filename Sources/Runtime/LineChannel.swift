import Foundation
import NIOCore

/// A connection of the control socket read as newline-terminated lines and written as whole
/// lines.
struct LineChannel: Sendable {
    let inbound: NIOAsyncChannelInboundStream<ByteBuffer>
    let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>

    /// The lines of the inbound stream, without their newline (a last unterminated one too).
    func lines() -> AsyncThrowingStream<Data, any Error> {
        let inbound = inbound
        return AsyncThrowingStream { continuation in
            let task = Task {
                var pending = Data()
                do {
                    for try await var buffer in inbound {
                        if let bytes = buffer.readBytes(length: buffer.readableBytes) { pending.append(contentsOf: bytes) }
                        while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                            continuation.yield(Data(pending[pending.startIndex..<newline]))
                            pending.removeSubrange(pending.startIndex...newline)
                        }
                    }
                    if !pending.isEmpty { continuation.yield(pending) }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    /// Writes one line (the data must end with a newline).
    func write(_ line: Data) async throws {
        try await outbound.write(ByteBuffer(bytes: line))
    }
}
