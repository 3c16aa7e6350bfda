package import Foundation

/// Reads files of `/proc` (and `/sys`) whole. They report a size of 0, and Foundation's
/// `String(contentsOfFile:)` and `FileManager.contents(atPath:)` then return only the first
/// read (about 4 KB): `/proc/net/tcp` of a busy host or a long `mountinfo` came back cut.
package enum ProcFile {
    /// The whole text of `path`, or nil when it cannot be opened.
    package static func read(_ path: String) -> String? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        guard let data = try? handle.readToEnd() else { return nil }
        return String(decoding: data ?? Data(), as: UTF8.self)
    }
}
