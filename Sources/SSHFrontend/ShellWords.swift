/// Splits an SSH exec string into words the way a POSIX shell would for simple words,
/// without ever running a shell: `'…'` is literal, `"…"` allows `\"`, `\\`, `\$` and
/// `` \` `` escapes, a backslash outside quotes escapes the next character. Nothing else
/// (`;`, `|`, `$VAR`, globs) has a meaning: such characters stay in the words.
///
/// ```swift
/// try ShellWords.split(#"config:set web1 "GREETING=hello world""#)
/// // ["config:set", "web1", "GREETING=hello world"]
/// ```
package enum ShellWords {
    /// Why a string cannot be split.
    package struct Malformed: Error, Equatable, Sendable {
        /// A sentence for the user.
        package let message: String
    }

    /// The words of `text`.
    /// - Throws: `Malformed` for an unterminated quote or a trailing backslash.
    package static func split(_ text: String) throws(Malformed) -> [String] {
        var words: [String] = []
        var word = ""
        var inWord = false
        var characters = text.makeIterator()
        while let character = characters.next() {
            switch character {
            case " ", "\t", "\n", "\r":
                if inWord { words.append(word) }
                word = ""
                inWord = false
            case "'":
                inWord = true
                var closed = false
                while let next = characters.next() {
                    if next == "'" {
                        closed = true
                        break
                    }
                    word.append(next)
                }
                guard closed else { throw Malformed(message: "Unterminated ' quote in the command.") }
            case "\"":
                inWord = true
                var closed = false
                while let next = characters.next() {
                    if next == "\"" {
                        closed = true
                        break
                    }
                    if next == "\\" {
                        guard let escaped = characters.next() else { break }
                        if !["\"", "\\", "$", "`", "\n"].contains(escaped) { word.append("\\") }
                        if escaped != "\n" { word.append(escaped) }
                        continue
                    }
                    word.append(next)
                }
                guard closed else { throw Malformed(message: "Unterminated \" quote in the command.") }
            case "\\":
                guard let escaped = characters.next() else { throw Malformed(message: "The command ends with a lone backslash.") }
                inWord = true
                if escaped != "\n" { word.append(escaped) }
            default:
                inWord = true
                word.append(character)
            }
        }
        if inWord { words.append(word) }
        return words
    }
}
