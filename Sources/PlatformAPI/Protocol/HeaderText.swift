/// Plain-Swift helpers for header values, on the API's hot path (every request parses
/// `Authorization` and `Accept`): Foundation's `trimmingCharacters` and `contains` bridge to
/// `NSString` and cost more than the rest of a small request.
enum HeaderText {
    /// The value without HTTP's optional white space (spaces and tabs) at either end.
    static func trimmed(_ text: Substring) -> Substring {
        let isSpace = { (character: Character) in character == " " || character == "\t" }
        guard let first = text.firstIndex(where: { !isSpace($0) }), let last = text.lastIndex(where: { !isSpace($0) }) else {
            return text[text.endIndex...]
        }
        return text[first...last]
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
