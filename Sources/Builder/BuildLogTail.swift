import Foundation
import OpenrukoCore

/// Follows a build's live log file (`DATA_DIR/logs/builds/ID.log`) from any process: what
/// was written so far, then new output until the writer releases the file's lock (the build
/// ended, or its process died).
package enum BuildLogTail {
    /// The output as chunks of text; ends when the build has ended and everything was read.
    /// Without a log file, yields `fallback` (the stored output) once.
    package static func follow(path: String, fallback: @escaping @Sendable () -> String?) -> AsyncStream<String> {
        AsyncStream { continuation in
            let task = Task.detached {
                guard let handle = FileHandle(forReadingAtPath: path) else {
                    if let text = fallback(), !text.isEmpty { continuation.yield(text) }
                    continuation.finish()
                    return
                }
                defer { try? handle.close() }
                var pending = Data()
                while !Task.isCancelled {
                    let ended = flock(handle.fileDescriptor, LOCK_SH | LOCK_NB) == 0
                    let data = (try? handle.readToEnd()) ?? Data()
                    pending.append(data)
                    // Yield whole UTF-8 sequences only; keep a split character for later.
                    let cut = Self.validPrefixLength(pending)
                    if cut > 0 {
                        continuation.yield(String(decoding: pending.prefix(cut), as: UTF8.self))
                        pending.removeFirst(cut)
                    }
                    if ended { break }
                    try? await Task.sleep(for: .milliseconds(100))
                }
                if !pending.isEmpty { continuation.yield(String(decoding: pending, as: UTF8.self)) }
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    /// The length of `data` without an incomplete UTF-8 sequence at its end.
    static func validPrefixLength(_ data: Data) -> Int {
        var end = data.count
        var back = 0
        while end > 0, back < 4 {
            let byte = data[data.startIndex + end - 1]
            if byte & 0xC0 != 0x80 {
                let need = byte >= 0xF0 ? 4 : byte >= 0xE0 ? 3 : byte >= 0xC0 ? 2 : 1
                return need == back + 1 ? data.count : end - 1
            }
            end -= 1
            back += 1
        }
        return data.count
    }
}
