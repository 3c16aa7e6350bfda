import Foundation

/// One word for a POSIX shell (`sh -c`, `bash -c`), whatever it holds: the shell sees exactly
/// `word`, never an expansion, a second word or a second command.
///
/// ```swift
/// "psql -c " + ShellWord.quoted("select 'x'; drop table t")  // psql -c 'select '\''x'\''; drop table t'
/// ```
package enum ShellWord {
    /// `word` single-quoted (each `'` written as `'\''`).
    package static func quoted(_ word: String) -> String {
        "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    /// `word` as it is when it holds only letters, digits and `-_./=:,@%+` (and is not
    /// empty), else `quoted(word)`: readable command lines for plain words.
    package static func minimal(_ word: String) -> String {
        let plain = !word.isEmpty && word.allSatisfy { $0.isLetter || $0.isNumber || "-_./=:,@%+".contains($0) }
        return plain ? word : quoted(word)
    }
}
