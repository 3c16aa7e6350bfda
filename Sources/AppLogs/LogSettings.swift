import Foundation
package import OpenrukoCore

/// How much log the store keeps and buffers. Every process reads the same environment
/// variables, so a process writing directly (no daemon) rotates like the daemon.
package struct LogSettings: Sendable, Hashable {
    /// Bytes of log kept on disk per app unless the app has its own limit
    /// (`OPENRUKO_LOG_SIZE`, e.g. `16M`; default 16 MiB).
    package var size: Int
    /// Bytes of lines waiting for the disk per app; beyond it new lines are dropped and counted
    /// (`OPENRUKO_LOG_PENDING`; default 8 MiB).
    package var pendingBytes: Int
    /// Lines a drain may fall behind before its oldest undelivered lines are dropped
    /// (`OPENRUKO_DRAIN_BUFFER`; default 10,000).
    package var drainBuffer: Int
    /// Bytes of the newest lines kept in memory per app, so live tails read memory, not disk.
    package var cacheBytes: Int

    package static let defaultSize = 16 << 20
    /// The smallest limit accepted (two generation files of 32 KiB).
    package static let minimumSize = 64 << 10

    package init(size: Int = defaultSize, pendingBytes: Int = 8 << 20, drainBuffer: Int = 10_000, cacheBytes: Int = 1 << 20) {
        self.size = size
        self.pendingBytes = pendingBytes
        self.drainBuffer = drainBuffer
        self.cacheBytes = cacheBytes
    }

    /// The settings from `OPENRUKO_LOG_SIZE`, `OPENRUKO_LOG_PENDING` and `OPENRUKO_DRAIN_BUFFER`.
    /// - Throws: `OpenrukoError.invalid` for a malformed value.
    package static func from(environment: [String: String] = ProcessInfo.processInfo.environment) throws(OpenrukoError) -> LogSettings {
        var settings = LogSettings()
        if let text = environment["OPENRUKO_LOG_SIZE"] {
            guard let size = parseSize(text), size >= minimumSize else {
                throw OpenrukoError(.invalid, "OPENRUKO_LOG_SIZE must be a size of at least 64K, such as 16M, not \(text.debugDescription).")
            }
            settings.size = size
        }
        if let text = environment["OPENRUKO_LOG_PENDING"] {
            guard let bytes = parseSize(text), bytes >= 4096 else {
                throw OpenrukoError(.invalid, "OPENRUKO_LOG_PENDING must be a size of at least 4K, not \(text.debugDescription).")
            }
            settings.pendingBytes = bytes
        }
        if let text = environment["OPENRUKO_DRAIN_BUFFER"] {
            guard let lines = Int(text), lines >= 1 else {
                throw OpenrukoError(.invalid, "OPENRUKO_DRAIN_BUFFER must be a number of lines (1 or more), not \(text.debugDescription).")
            }
            settings.drainBuffer = lines
        }
        return settings
    }

    /// `16M`, `512K`, `1G` or a plain number of bytes; nil when malformed.
    package static func parseSize(_ text: String) -> Int? {
        let trimmed = text.trimmingCharacters(in: .whitespaces).uppercased()
        let units: [Character: Int] = ["K": 1 << 10, "M": 1 << 20, "G": 1 << 30]
        var digits = Substring(trimmed)
        var unit = 1
        if trimmed.hasSuffix("B") { digits = digits.dropLast() }
        if let last = digits.last, let multiplier = units[last] {
            unit = multiplier
            digits = digits.dropLast()
        }
        guard !digits.isEmpty, let value = Int(digits), value >= 0, value <= Int.max / unit else { return nil }
        return value * unit
    }

    /// `16M`, `512K` or bytes, for messages.
    package static func describe(_ bytes: Int) -> String {
        if bytes % (1 << 30) == 0 { return "\(bytes >> 30)G" }
        if bytes % (1 << 20) == 0 { return "\(bytes >> 20)M" }
        if bytes % (1 << 10) == 0 { return "\(bytes >> 10)K" }
        return "\(bytes)"
    }
}
