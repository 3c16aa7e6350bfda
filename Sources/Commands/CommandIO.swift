package import Foundation

/// The three streams of a running command, whatever carries them (an SSH channel, the
/// terminal of `openruko admin`, a test buffer).
///
/// Short output uses `write`/`writeError`; commands that stream (large or endless output,
/// input read as it arrives) use `read` and `send`, which apply backpressure.
package protocol CommandIO: Sendable {
    /// All of standard input, up to EOF (public keys, passwords).
    func readAll() async -> Data
    /// Writes text to standard output.
    func write(_ text: String)
    /// Writes text to standard error.
    func writeError(_ text: String)
    /// The next chunk of standard input as it arrives, or nil at EOF.
    func read() async -> Data?
    /// Writes bytes to standard output, suspending while the reader is slow.
    /// - Throws: when the reader went away (the command should stop).
    func send(_ data: Data) async throws
}

extension CommandIO {
    /// Reads chunks until EOF.
    package func readAll() async -> Data {
        var all = Data()
        while let chunk = await read() { all.append(chunk) }
        return all
    }
}

/// A `CommandIO` over fixed input that collects output in memory, for tests and for
/// callers that want the text (the API's command mirror).
package final class BufferedCommandIO: CommandIO, @unchecked Sendable {
    // @unchecked: every mutable field is only touched while holding `lock`.
    private let lock = NSLock()
    private let input: Data
    private var consumed = false
    private var out = Data()
    private var err = ""

    package init(input: Data = Data()) {
        self.input = input
    }

    package func readAll() async -> Data {
        lock.withLock {
            consumed = true
            return input
        }
    }

    package func read() async -> Data? {
        lock.withLock {
            defer { consumed = true }
            return consumed || input.isEmpty ? nil : input
        }
    }

    package func write(_ text: String) { lock.withLock { out.append(Data(text.utf8)) } }
    package func writeError(_ text: String) { lock.withLock { err += text } }
    package func send(_ data: Data) async throws { lock.withLock { out.append(data) } }

    /// Everything written to standard output.
    package var standardOutput: String { lock.withLock { String(decoding: out, as: UTF8.self) } }
    /// Everything written to standard output, as bytes.
    package var standardOutputData: Data { lock.withLock { out } }
    /// Everything written to standard error.
    package var standardError: String { lock.withLock { err } }
}
