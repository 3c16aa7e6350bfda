package import Foundation

/// The three streams of a running command, whatever carries them (an SSH channel, the
/// terminal of `openruko admin`).
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
