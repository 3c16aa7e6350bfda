import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import ServiceLifecycle
import OpenrukoCore
import Platform

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

    /// Streams `lines`: as SSE events (with a heartbeat every `heartbeat` while `tail`), or
    /// as plain newline-terminated lines. The response ends when `lines` ends or the daemon
    /// shuts down (so a tailing client cannot hold up a graceful stop); a client that goes
    /// away cancels the source.
    static func response(_ lines: AsyncStream<String>, events: Bool, tail: Bool, heartbeat: Duration) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = events ? "text/event-stream; charset=utf-8" : "text/plain; charset=utf-8"
        headers[.cacheControl] = "no-cache"
        let chunks = AsyncStream<String> { continuation in
            let forward = Task {
                for await line in lines { continuation.yield(events ? event(line) : (line.hasSuffix("\n") ? line : line + "\n")) }
                continuation.finish()
            }
            let beat: Task<Void, Never>? =
                events && tail
                ? Task {
                    while !Task.isCancelled {
                        try? await Task.sleep(for: heartbeat)
                        if !Task.isCancelled { continuation.yield(Self.heartbeat) }
                    }
                } : nil
            continuation.onTermination = { _ in
                forward.cancel()
                beat?.cancel()
            }
        }
        let body = ResponseBody { writer in
            for try await chunk in chunks.cancelOnGracefulShutdown() {
                try await writer.write(ByteBuffer(string: chunk))
            }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: headers, body: body)
    }
}
