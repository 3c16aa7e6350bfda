import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import ServiceLifecycle
import Synchronization
import OpenrukoCore
import Operations

/// Streaming text responses: log sessions (Server-Sent Events for EventSource clients such as
/// `heroku logs`, plain lines for others such as heroku3) and build output (plain lines).
enum TextStream {
    /// The SSE form of one log line: one `data:` field per line of text, then a blank line.
    static func event(_ line: String) -> String {
        line.split(separator: "\n", omittingEmptySubsequences: false).map { "data: \($0)\n" }.joined() + "\n"
    }

    /// The comment a tailing SSE stream sends while idle, so clients and proxies keep it open.
    static let heartbeat = ": ping\n\n"

    /// Whether the client asked for Server-Sent Events.
    static func wantsEvents(_ request: Request) -> Bool {
        request.headers[.accept]?.lowercased().contains("text/event-stream") ?? false
    }

    /// Lines a stream reads ahead of a client that reads slowly: the source is read no further,
    /// so a client that stops reading holds at most this many lines (and one heartbeat) here,
    /// plus what the socket's buffers hold.
    static let readAhead = 64

    /// What the relay between the source and the response carries.
    private enum Chunk: Sendable {
        case line(String)
        case heartbeat
    }

    /// Streams `lines`: as SSE events (with a heartbeat every `heartbeat` while `tail`), or
    /// as plain newline-terminated lines. The response ends when `lines` ends or the daemon
    /// shuts down (so a tailing client cannot hold up a graceful stop); a client that goes
    /// away cancels the source. The source is read at most `readAhead` lines ahead of what
    /// the client has taken (credits flow back as lines are written).
    static func response(_ lines: AsyncStream<String>, events: Bool, tail: Bool, heartbeat: Duration) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = events ? "text/event-stream; charset=utf-8" : "text/plain; charset=utf-8"
        headers[.cacheControl] = "no-cache"
        let (chunks, output) = AsyncStream<Chunk>.makeStream()
        let (credits, credit) = AsyncStream<Void>.makeStream()
        let heartbeatQueued = Flag()
        let forward = Task {
            var credits = credits.makeAsyncIterator()
            var available = readAhead
            for await line in lines {
                while available == 0 {
                    guard await credits.next() != nil else { return output.finish() }
                    available += 1
                }
                available -= 1
                output.yield(.line(events ? event(line) : (line.hasSuffix("\n") ? line : line + "\n")))
            }
            output.finish()
        }
        let beat: Task<Void, Never>? =
            events && tail
            ? Task {
                while !Task.isCancelled {
                    try? await Task.sleep(for: heartbeat)
                    // One heartbeat at most waits for a client that does not read.
                    if !Task.isCancelled, heartbeatQueued.raise() { output.yield(.heartbeat) }
                }
            } : nil
        output.onTermination = { _ in
            forward.cancel()
            beat?.cancel()
            credit.finish()
        }
        let body = ResponseBody { writer in
            for try await chunk in chunks.cancelOnGracefulShutdown() {
                switch chunk {
                case .line(let text):
                    try await writer.write(ByteBuffer(string: text))
                    credit.yield()
                case .heartbeat:
                    try await writer.write(ByteBuffer(string: Self.heartbeat))
                    heartbeatQueued.lower()
                }
            }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: headers, body: body)
    }
}

/// A flag raised by one task and lowered by another.
private final class Flag: Sendable {
    private let value = Atomic(false)

    /// Raises the flag; returns whether it was down.
    func raise() -> Bool { !value.exchange(true, ordering: .acquiringAndReleasing) }

    func lower() { value.store(false, ordering: .releasing) }
}
