package import Foundation

/// Reads files of `/proc` (and `/sys`) whole. They report a size of 0, and Foundation's
/// `String(contentsOfFile:)` and `FileManager.contents(atPath:)` then return only the first
/// read (about 4 KB): `/proc/net/tcp` of a busy host or a long `mountinfo` came back cut.
package enum ProcFile {
    /// The whole text of `path` (read until end of file, 64 KiB at a time), or nil when it
    /// cannot be opened or read.
    package static func read(_ path: String) -> String? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            if count > 0 {
                data.append(contentsOf: buffer[0..<count])
            } else if count == 0 {
                return String(decoding: data, as: UTF8.self)
            } else if errno != EINTR {
                return nil
            }
        }
    }
}
