/// The first bytes of a rendezvous connection: the attach URL's secret, with or without a
/// line end (the heroku CLI sends `SECRET\r\n`, heroku3 `SECRET` alone), so a secret is
/// recognised by its fixed length, never by waiting for a line end. Bytes after it (a line
/// end, then perhaps the first keystrokes) are the client's input.
///
/// ```swift
/// var greeting = RendezvousGreeting(length: 64)
/// greeting.feed(Array("SECRET…\r\n".utf8))   // .secret("SECRET…", rest: [])
/// ```
package struct RendezvousGreeting: Sendable, Hashable {
    /// What the bytes so far amount to.
    package enum Verdict: Sendable, Hashable {
        case needMore
        /// The secret and the input bytes that followed it (line end removed).
        case secret(String, rest: [UInt8])
        /// Not a secret: close the connection without a word.
        case invalid
    }

    let length: Int
    private var buffer: [UInt8] = []

    package init(length: Int) {
        self.length = length
    }

    /// Adds bytes the client sent.
    package mutating func feed(_ bytes: [UInt8]) -> Verdict {
        buffer += bytes
        // A secret is lowercase hex; anything else (or a line end too early) ends it.
        for byte in buffer.prefix(length) where !((0x30...0x39).contains(byte) || (0x61...0x66).contains(byte)) {
            return .invalid
        }
        guard buffer.count >= length else { return .needMore }
        var rest = Array(buffer.dropFirst(length))
        if rest.first == 0x0D { rest.removeFirst() }
        if rest.first == 0x0A { rest.removeFirst() }
        return .secret(String(decoding: buffer.prefix(length), as: UTF8.self), rest: rest)
    }
}

/// A client's input once attached: without a terminal, `\x04` (what the heroku CLI sends when
/// its stdin ends) closes the process's stdin; with one, every byte goes to the PTY, whose
/// line discipline reads Ctrl-D and Ctrl-C itself. A line end right after the secret that
/// arrives in a later packet is dropped.
package struct RendezvousInput: Sendable, Hashable {
    let tty: Bool
    private var atStart: Bool
    /// Whether the input has ended (`\x04` seen, without a terminal).
    package private(set) var ended = false

    /// - Parameter lineEndPending: the greeting ended exactly at the secret (its line end may follow).
    package init(tty: Bool, lineEndPending: Bool) {
        self.tty = tty
        atStart = lineEndPending
    }

    /// The bytes for the process's stdin out of what the client sent.
    package mutating func feed(_ bytes: [UInt8]) -> [UInt8] {
        guard !ended else { return [] }
        var bytes = bytes[...]
        if atStart, !bytes.isEmpty {
            atStart = false
            if bytes.first == 0x0D { bytes = bytes.dropFirst() }
            if bytes.first == 0x0A { bytes = bytes.dropFirst() }
        }
        guard !tty, let end = bytes.firstIndex(of: 0x04) else { return Array(bytes) }
        ended = true
        return Array(bytes[..<end])
    }
}
