import Foundation
import NIOCore
import OpenrukoCore

/// A connection of the control socket read as newline-terminated lines and written as whole
/// lines.
struct LineChannel: Sendable {
    let inbound: NIOAsyncChannelInboundStream<ByteBuffer>
    let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>

    /// The lines of the inbound stream, without their newline (a last unterminated one too).
    /// A line longer than `maximumLength` ends the stream with an error; lines the reader has
    /// not taken yet are kept as `bufferingPolicy` says.
    func lines(
        maximumLength: Int = .max,
        bufferingPolicy: AsyncThrowingStream<Data, any Error>.Continuation.BufferingPolicy = .unbounded
    ) -> AsyncThrowingStream<Data, any Error> {
        let inbound = inbound
        return AsyncThrowingStream(bufferingPolicy: bufferingPolicy) { continuation in
            let task = Task {
                var pending = Data()
                var searched = 0  // the front of `pending` known to hold no line end
                do {
                    for try await var buffer in inbound {
                        if let bytes = buffer.readBytes(length: buffer.readableBytes) { pending.append(contentsOf: bytes) }
                        while let newline = pending[(pending.startIndex + searched)...].firstIndex(of: UInt8(ascii: "\n")) {
                            continuation.yield(Data(pending[pending.startIndex..<newline]))
                            pending.removeSubrange(pending.startIndex...newline)
                            searched = 0
                        }
                        searched = pending.count
                        if pending.count > maximumLength { throw OpenrukoError(.invalid, "A line longer than \(maximumLength) bytes.") }
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
