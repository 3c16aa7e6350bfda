/// The size of a one-off dyno's terminal as a client asks for it (`ssh -t`'s `pty-req` and
/// `window-change`, the heroku CLI's `COLUMNS`/`LINES`), clamped to what a terminal can be:
/// 0 or a negative value (SSH's "unknown") becomes the usual 80×24 for that side, anything
/// over `maximum` becomes `maximum`. Also decides which `TERM` values a dyno may get.
///
/// ```swift
/// TerminalSize(columns: 0, lines: 65535)      // 80 columns, 1000 lines
/// TerminalSize.term("xterm-256color")         // "xterm-256color"
/// TerminalSize.term("xterm; rm -rf /")        // nil
/// ```
package struct TerminalSize: Sendable, Hashable {
    /// The largest width or height a dyno's terminal gets.
    package static let maximum = 1000
    /// The size when the client does not say: 80×24.
    package static let standard = TerminalSize(columns: 80, lines: 24)

    package let columns: Int
    package let lines: Int

    package init(columns: Int, lines: Int) {
        self.columns = Self.clamp(columns, unknown: 80)
        self.lines = Self.clamp(lines, unknown: 24)
    }

    /// The size from optional values (the API's `COLUMNS`/`LINES` may be missing or not numbers).
    package init(columns: Int?, lines: Int?) {
        self.init(columns: columns ?? 0, lines: lines ?? 0)
    }

    private static func clamp(_ value: Int, unknown: Int) -> Int {
        value <= 0 ? unknown : min(value, maximum)
    }

    /// `value` when it is a plausible terminfo name (`xterm-256color`, `screen.xterm`,
    /// `vt100+fnkeys`: ASCII letters and digits, then those and `-._+`, at most 64
    /// characters); nil otherwise, and the dyno gets no `TERM`.
    package static func term(_ value: String?) -> String? {
        guard let value, (1...64).contains(value.utf8.count) else { return nil }
        let bytes = Array(value.utf8)
        func isAlphanumeric(_ byte: UInt8) -> Bool {
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
        }
        guard isAlphanumeric(bytes[0]) else { return nil }
        let punctuation: Set<UInt8> = [UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "+")]
        return bytes.allSatisfy { isAlphanumeric($0) || punctuation.contains($0) } ? value : nil
    }
}
