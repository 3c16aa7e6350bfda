package import Foundation

/// The three streams of a running command, whatever carries them (an SSH channel, the
/// terminal of `openruko admin`, a test buffer).
package protocol CommandIO: Sendable {
    /// All of standard input, up to EOF (public keys, passwords).
    func readAll() async -> Data
    /// Writes text to standard output.
    func write(_ text: String)
    /// Writes text to standard error.
    func writeError(_ text: String)
}

/// A `CommandIO` over fixed input that collects output in memory, for tests and for
/// callers that want the text (the API's command mirror).
package final class BufferedCommandIO: CommandIO, @unchecked Sendable {
    // @unchecked: every mutable field is only touched while holding `lock`.
    private let lock = NSLock()
    private let input: Data
    private var out = ""
    private var err = ""

    package init(input: Data = Data()) {
        self.input = input
    }

    package func readAll() async -> Data { input }
    package func write(_ text: String) { lock.withLock { out += text } }
    package func writeError(_ text: String) { lock.withLock { err += text } }

    /// Everything written to standard output.
    package var standardOutput: String { lock.withLock { out } }
    /// Everything written to standard error.
    package var standardError: String { lock.withLock { err } }
}
