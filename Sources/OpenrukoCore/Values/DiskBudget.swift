package import Foundation

/// Whether a push (or an API build) may go on, as a pure decision over three figures: the
/// bytes `DATA_DIR` uses, the bytes the push brings, and the bytes free on its filesystem.
/// A push is refused while free space is under the floor (`OPENRUKO_PUSH_MIN_FREE_MB`,
/// default 100 MB) or when it would take `DATA_DIR` over the admin's budget
/// (`OPENRUKO_DISK_BUDGET`, none by default), always before anything is built.
///
/// ```swift
/// let budget = try DiskBudget.from(environment: ProcessInfo.processInfo.environment)
/// if let refusal = budget.refusal(used: 49 << 30, incoming: 2 << 30, free: 80 << 30) { throw … }
/// ```
package struct DiskBudget: Sendable, Hashable {
    /// The most bytes `DATA_DIR` may use (nil: no budget).
    package var total: Int64?
    /// The fewest free bytes a push leaves the filesystem.
    package var minimumFree: Int64

    package init(total: Int64? = nil, minimumFree: Int64 = 100 << 20) {
        self.total = total
        self.minimumFree = minimumFree
    }

    /// The budget from `OPENRUKO_DISK_BUDGET` (`50G`, `500M`, bytes) and
    /// `OPENRUKO_PUSH_MIN_FREE_MB`.
    /// - Throws: `OpenrukoError.invalid` for a malformed value.
    package static func from(environment: [String: String]) throws(OpenrukoError) -> DiskBudget {
        var budget = DiskBudget()
        if let text = environment["OPENRUKO_DISK_BUDGET"] {
            guard let bytes = bytes(parsing: text), bytes > 0 else {
                throw OpenrukoError(.invalid, "OPENRUKO_DISK_BUDGET must be a size such as 50G, 500M or a number of bytes, not \(text.debugDescription).")
            }
            budget.total = bytes
        }
        if let text = environment["OPENRUKO_PUSH_MIN_FREE_MB"] {
            guard let megabytes = Int64(text), megabytes >= 0, megabytes < 1 << 40 else {
                throw OpenrukoError(.invalid, "OPENRUKO_PUSH_MIN_FREE_MB must be a whole number of megabytes ≥ 0, not \(text.debugDescription).")
            }
            budget.minimumFree = megabytes << 20
        }
        return budget
    }

    /// Bytes from a size: a whole or decimal number, optionally followed by `K`, `M`, `G` or
    /// `T` (powers of 1024; `KB`, `KiB`… and lower case alike). Nil for anything else.
    package static func bytes(parsing text: String) -> Int64? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let number = trimmed.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
        var unit = trimmed.dropFirst(number.count).uppercased()
        for suffix in ["IB", "B"] where unit.hasSuffix(suffix) {
            unit = String(unit.dropLast(suffix.count))
            break
        }
        let shifts: [String: Int64] = ["": 0, "K": 10, "M": 20, "G": 30, "T": 40]
        guard !number.isEmpty, number.count <= 20, let shift = shifts[unit], let value = Double(number), value.isFinite else { return nil }
        let bytes = value * Double(Int64(1) << shift)
        guard bytes < Double(Int64(1) << 62) else { return nil }
        return Int64(bytes)
    }

    /// `1.5 GB`, `300 MB`, `12 KB`, `7 bytes` (powers of 1024).
    package static func text(_ bytes: Int64) -> String {
        let units: [(String, Int64)] = [("TB", 40), ("GB", 30), ("MB", 20), ("KB", 10)]
        for (name, shift) in units where bytes >= Int64(1) << shift {
            let value = Double(bytes) / Double(Int64(1) << shift)
            return value >= 100 || value == value.rounded() ? "\(Int(value.rounded())) \(name)" : String(format: "%.1f %@", value, name)
        }
        return "\(bytes) bytes"
    }

    /// Why a push (or build) bringing `incoming` bytes is refused, or nil when it may go on.
    /// - Parameters:
    ///   - used: the bytes `DATA_DIR` uses now (nil when only the floor is checked).
    ///   - incoming: the bytes the push brings (its pack, a build's source), 0 when unknown.
    ///   - free: the bytes free for openruko on the data directory's filesystem.
    package func refusal(used: Int64?, incoming: Int64, free: Int64) -> String? {
        if free < minimumFree {
            return "The server's disk is full (\(free >> 20) MB free for its data); the push was refused before it changed anything. "
                + "Ask an admin to free space (openruko admin disk, openruko admin gc), then push again."
        }
        guard let total, let used else { return nil }
        let after = used + max(0, incoming)
        guard after > total else { return nil }
        let brings = incoming > 0 ? " and this push brings \(Self.text(incoming))" : ""
        return "Push rejected: openruko's disk budget is used up. Its data may use \(Self.text(total)) (OPENRUKO_DISK_BUDGET); "
            + "it uses \(Self.text(used))\(brings), \(Self.text(after - total)) over. Nothing was built or changed. "
            + "To make room, see what uses it (openruko admin disk, or disk APP), destroy apps you no longer need, "
            + "or keep fewer releases (OPENRUKO_RETAIN_RELEASES, OPENRUKO_RETAIN_DAYS) and run openruko admin gc; then push again."
    }

    /// Whether a refusal needs the exact usage: only when there is a budget and the estimate
    /// says the push is over it (a refusal is checked against a fresh walk before it is said).
    package func needsExactUsage(estimate: Int64, incoming: Int64) -> Bool {
        guard let total else { return false }
        return estimate + max(0, incoming) > total
    }
}
