package import Foundation
package import OpenrukoCore
import Synchronization

/// A build's output: streamed verbatim to the pusher (or nowhere), appended live to
/// `DATA_DIR/logs/builds/ID.log` (held under an exclusive `flock` while the build runs, so
/// readers in any process know when it ends), and kept whole for the build record.
/// Headings and errors use Heroku's shapes: `-----> `, 7-space details, ` !     `.
package final class BuildOutput: Sendable {
    private let state: Mutex<Data>
    private let file: FileHandle
    private let sink: @Sendable (Data) -> Void

    /// Creates the live log file and takes its lock.
    /// - Parameters:
    ///   - sink: where the pusher sees output (the hook's stderr); called in order.
    /// - Throws: `OpenrukoError` when the log file cannot be created.
    package init(logPath: String, sink: @escaping @Sendable (Data) -> Void) throws(OpenrukoError) {
        try? FileManager.default.createDirectory(
            atPath: (logPath as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let descriptor = open(logPath, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0o640)
        guard descriptor >= 0 else {
            throw OpenrukoError(.internal, "Cannot write the build log \(logPath): \(String(cString: strerror(errno)))")
        }
        flock(descriptor, LOCK_EX)
        file = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
        self.sink = sink
        state = Mutex(Data())
    }

    /// Appends raw bytes (buildpack output, verbatim).
    package func write(_ data: Data) {
        guard !data.isEmpty else { return }
        state.withLock { all in
            all.append(data)
            try? file.write(contentsOf: data)
            sink(data)
        }
    }

    /// Appends text.
    package func write(_ text: String) { write(Data(text.utf8)) }

    /// `-----> text`.
    package func heading(_ text: String) { write("-----> \(text)\n") }
    /// `       text` (each line indented).
    package func detail(_ text: String) { write(Self.prefixed(text, "       ")) }
    /// ` !     text` (each line marked).
    package func error(_ text: String) { write(Self.prefixed(text, " !     ")) }

    /// Everything written so far, as text.
    package var text: String { state.withLock { String(decoding: $0, as: UTF8.self) } }

    /// Releases the log's lock: readers see the build has ended.
    package func finish() {
        flock(file.fileDescriptor, LOCK_UN)
    }

    static func prefixed(_ text: String, _ prefix: String) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false).map { $0.isEmpty ? "" : prefix + $0 }.joined(separator: "\n") + "\n"
    }
}
