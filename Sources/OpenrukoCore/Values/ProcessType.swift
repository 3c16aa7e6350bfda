/// A Procfile process type name (`web`, `worker`, `release`…): letters, digits, `_` and `-`,
/// at most 63 characters, as classic Heroku accepts.
package struct ProcessType: Hashable, Sendable, CustomStringConvertible, Codable, Comparable {
    /// The type name.
    package let rawValue: String

    /// Validates a process type name.
    /// - Throws: `OpenrukoError.invalid`.
    package init(_ rawValue: String) throws(OpenrukoError) {
        guard Self.isValid(rawValue) else {
            throw OpenrukoError(
                .invalid,
                "\(rawValue.debugDescription) is not a valid process type: use letters, digits, '_' and '-' (at most 63).",
                resource: "formation")
        }
        self.rawValue = rawValue
    }

    /// Whether `name` is a valid type name.
    package static func isValid(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard (1...63).contains(bytes.count) else { return false }
        return bytes.allSatisfy { c in
            (c >= UInt8(ascii: "a") && c <= UInt8(ascii: "z")) || (c >= UInt8(ascii: "A") && c <= UInt8(ascii: "Z"))
                || (c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9")) || c == UInt8(ascii: "_") || c == UInt8(ascii: "-")
        }
    }

    /// The routed type.
    package static let web = try! ProcessType("web")
    /// The release-phase type: run once per release, never scaled.
    package static let release = try! ProcessType("release")

    package var description: String { rawValue }
    package static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
}
