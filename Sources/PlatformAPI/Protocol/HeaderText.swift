/// Plain-Swift helpers for header values, on the API's hot path (every request parses
/// `Authorization` and `Accept`): Foundation's `trimmingCharacters` and `contains` bridge to
/// `NSString` and cost microseconds a call.
enum HeaderText {
    /// The value without HTTP's optional white space (spaces and tabs) at either end.
    static func trimmed(_ text: Substring) -> Substring {
        let isSpace = { (byte: UInt8) in byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }
        let bytes = text.utf8
        guard let first = bytes.firstIndex(where: { !isSpace($0) }), let last = bytes.lastIndex(where: { !isSpace($0) }) else {
            return text[text.endIndex...]
        }
        // Next to ASCII white space (or the end), so on scalar boundaries.
        return text[first..<bytes.index(after: last)]
    }

    /// The parameters of a media type or similar value (`type; a=1; b = 2`): each
    /// `;`-separated part after the first that has an `=`, as a trimmed name and value (`body`
    /// throws to stop).
    static func forEachParameter<Failure: Error>(
        of text: Substring, _ body: (_ name: Substring, _ value: Substring) throws(Failure) -> Void
    ) throws(Failure) {
        let bytes = text.utf8
        guard var start = bytes.firstIndex(of: UInt8(ascii: ";")).map(bytes.index(after:)) else { return }
        while start < text.endIndex {
            let end = bytes[start...].firstIndex(of: UInt8(ascii: ";")) ?? text.endIndex
            let part = text[start..<end]
            if let equals = part.utf8.firstIndex(of: UInt8(ascii: "=")) {
                try body(trimmed(part[..<equals]), trimmed(part[part.utf8.index(after: equals)...]))
            }
            start = end < text.endIndex ? bytes.index(after: end) : end
        }
    }

    /// Whether `text` contains `needle`, byte for byte.
    static func contains(_ text: Substring, _ needle: String) -> Bool {
        var rest = text.utf8
        while rest.count >= needle.utf8.count {
            if rest.starts(with: needle.utf8) { return true }
            rest = rest.dropFirst()
        }
        return false
    }

    /// Whether two ASCII tokens (schemes, parameter names) are equal ignoring case.
    static func equalsIgnoringCase(_ text: Substring, _ lowercase: String) -> Bool {
        text.utf8.elementsEqual(lowercase.utf8) { byte, other in
            (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte | 0x20 : byte) == other
        }
    }
}
