/// A user's e-mail address, trimmed and lowercased; the user's login name.
package struct EmailAddress: Hashable, Sendable, CustomStringConvertible, Codable {
    /// The normalised address.
    package let rawValue: String

    /// Validates the rough shape `local@domain` (no spaces, one `@`, a non-empty domain).
    /// - Throws: `OpenrukoError.invalid`.
    package init(_ raw: String) throws(OpenrukoError) {
        let value = raw.trimmingWhitespace().lowercased()
        let parts = value.split(separator: "@", omittingEmptySubsequences: false)
        let ok =
            parts.count == 2 && !parts[0].isEmpty && !parts[1].isEmpty && value.utf8.count <= 254
            && !value.contains(where: { $0.isWhitespace || $0.isNewline || $0 == "\"" || $0 == "'" })
        guard ok else {
            throw OpenrukoError(.invalid, "\(raw.debugDescription) is not a valid e-mail address.", resource: "user")
        }
        self.rawValue = value
    }

    package var description: String { rawValue }
}

extension StringProtocol {
    /// The string without leading and trailing whitespace and newlines.
    package func trimmingWhitespace() -> String {
        let scalars = unicodeScalars
        guard let start = scalars.firstIndex(where: { !$0.properties.isWhitespace }) else { return "" }
        let end = scalars.lastIndex(where: { !$0.properties.isWhitespace })!
        return String(String.UnicodeScalarView(scalars[start...end]))
    }
}
