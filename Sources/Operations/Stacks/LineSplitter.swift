import Foundation
import Synchronization

/// Cuts a byte stream into lines for a callback (`       ` indented, like push output) and
/// keeps the last few for an error message.
final class LineSplitter: Sendable {
    private let state = Mutex<(pending: Data, tail: [String])>((Data(), []))
    private let receive: @Sendable (String) -> Void
    private let keep = 30

    init(_ receive: @escaping @Sendable (String) -> Void) {
        self.receive = receive
    }

    /// The last lines seen.
    var tail: [String] { state.withLock { $0.tail } }

    /// Takes a chunk; hands on every complete line in it.
    func append(_ chunk: Data) {
        let complete: [String] = state.withLock { state in
            state.pending.append(chunk)
            var lines: [String] = []
            while let newline = state.pending.firstIndex(of: 0x0A) {
                lines.append(String(decoding: state.pending[state.pending.startIndex..<newline], as: UTF8.self))
                state.pending = Data(state.pending[state.pending.index(after: newline)...])
            }
            state.tail = Array((state.tail + lines).suffix(keep))
            return lines
        }
        for line in complete { receive("       " + line) }
    }

    /// Hands on what is left after the last newline.
    func finish() {
        let rest: String? = state.withLock { state in
            guard !state.pending.isEmpty else { return nil }
            let line = String(decoding: state.pending, as: UTF8.self)
            state.pending = Data()
            state.tail = Array((state.tail + [line]).suffix(keep))
            return line
        }
        if let rest { receive("       " + rest) }
    }
}
