package import Foundation
import Synchronization

/// Splits a sandbox's output chunks into lines (a line longer than `maximumLineBytes` is cut
/// into pieces) and keeps the last `limit` lines, so a failed boot or release phase can show
/// what the dyno said last. Appending never blocks on anything but a short lock.
package final class OutputTail: Sendable {
    private struct State {
        var pending = Data()
        var lines: [String] = []
    }

    private let state = Mutex(State())
    private let limit: Int
    private let onLine: (@Sendable (String) -> Void)?

    /// The longest line passed on whole (Heroku's logplex cuts at 10 KB).
    package static let maximumLineBytes = 10_000

    /// - Parameters:
    ///   - limit: how many recent lines to keep.
    ///   - onLine: receives every complete line (without its newline), in order.
    package init(limit: Int, onLine: (@Sendable (String) -> Void)? = nil) {
        self.limit = limit
        self.onLine = onLine
    }

    /// Adds a chunk of output.
    package func append(_ chunk: Data) {
        let complete: [String] = state.withLock { state in
            state.pending.append(chunk)
            var found: [String] = []
            var start = state.pending.startIndex
            while let newline = state.pending[start...].firstIndex(of: UInt8(ascii: "\n")) {
                found.append(Self.text(state.pending[start..<newline]))
                start = newline + 1
            }
            while state.pending.endIndex - start > Self.maximumLineBytes {
                found.append(Self.text(state.pending[start..<start + Self.maximumLineBytes]))
                start += Self.maximumLineBytes
            }
            state.pending.removeSubrange(state.pending.startIndex..<start)
            state.lines.append(contentsOf: found)
            if state.lines.count >= 2 * limit { state.lines.removeFirst(state.lines.count - limit) }
            return found
        }
        if let onLine { complete.forEach(onLine) }
    }

    /// Passes on a last line without a newline, if any.
    package func flush() {
        let rest: String? = state.withLock { state in
            guard !state.pending.isEmpty else { return nil }
            let text = Self.text(state.pending)
            state.pending.removeAll()
            state.lines.append(text)
            if state.lines.count > limit { state.lines.removeFirst(state.lines.count - limit) }
            return text
        }
        if let rest, let onLine { onLine(rest) }
    }

    /// The last lines kept.
    package var lines: [String] { state.withLock { Array($0.lines.suffix(limit)) } }

    static func text(_ bytes: Data) -> String {
        var text = String(decoding: bytes, as: UTF8.self)
        if text.hasSuffix("\r") { text.removeLast() }
        return text
    }
}
