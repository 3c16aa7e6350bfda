/// A validated app name: Heroku's rule, 3–30 characters of lowercase letters, digits and
/// dashes, starting with a letter (and, as Heroku's schema says, not ending with a dash).
package struct AppName: Hashable, Sendable, CustomStringConvertible, Codable {
    /// The name as typed.
    package let rawValue: String

    /// Validates `rawValue`.
    /// - Throws: `OpenrukoError.invalid` saying what the rule is.
    package init(_ rawValue: String) throws(OpenrukoError) {
        guard Self.isValid(rawValue) else {
            throw OpenrukoError(
                .invalid,
                "Name \(rawValue.debugDescription) is invalid: an app name must start with a letter, end with a letter or digit, "
                    + "and use only lowercase letters, digits and dashes (3 to 30 characters).",
                resource: "app")
        }
        self.rawValue = rawValue
    }

    /// Whether `name` follows the rule, without building an error.
    package static func isValid(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard (3...30).contains(bytes.count) else { return false }
        guard let first = bytes.first, let last = bytes.last else { return false }
        let isLower = { (c: UInt8) in c >= UInt8(ascii: "a") && c <= UInt8(ascii: "z") }
        let isDigit = { (c: UInt8) in c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") }
        guard isLower(first), isLower(last) || isDigit(last) else { return false }
        return bytes.allSatisfy { isLower($0) || isDigit($0) || $0 == UInt8(ascii: "-") }
    }

    package var description: String { rawValue }
}
