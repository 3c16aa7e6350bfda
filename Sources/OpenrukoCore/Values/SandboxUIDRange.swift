package import Foundation

/// The host uids (each also a gid) openruko hands to apps, one per app
/// (`OPENRUKO_APP_UIDS=FIRST-LAST`, default 70000-79999). They must belong to no host user.
package enum SandboxUIDRange {
    /// 70000…79999: above Debian's regular users, below the subordinate-id ranges.
    package static let `default`: ClosedRange<UInt32> = 70000...79999

    /// The range configured for this process.
    /// - Throws: `OpenrukoError.invalid` for a malformed range or one that reaches below 1000.
    package static func current(environment: [String: String] = ProcessInfo.processInfo.environment) throws(OpenrukoError)
        -> ClosedRange<UInt32>
    {
        guard let text = environment["OPENRUKO_APP_UIDS"] else { return Self.default }
        let parts = text.split(separator: "-").map { UInt32($0.trimmingCharacters(in: .whitespaces)) }
        guard parts.count == 2, let first = parts[0], let last = parts[1], first >= 1000, first <= last, last < 4_294_967_294 else {
            throw OpenrukoError(
                .invalid, "OPENRUKO_APP_UIDS must be FIRST-LAST, two uids of 1000 or more (e.g. 70000-79999), not \(text.debugDescription).")
        }
        return first...last
    }
}
