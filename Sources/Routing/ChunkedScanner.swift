/// Follows a chunked body (RFC 9112 §7.1) byte by byte to find where it ends, without
/// decoding it: the router forwards chunked bodies as they are.
struct ChunkedScanner: Hashable {
    private enum State: Hashable {
        case size, sizeExtension, sizeLF
        case data(Int)
        case dataCR, dataLF
        case trailerStart, trailerLine, trailerLF, finalLF
        case done
    }

    private var state = State.size
    private var size = 0
    private var sawDigit = false
    /// Chunk data bytes seen so far (the body without its framing).
    private(set) var payload = 0

    var isDone: Bool { state == .done }

    /// Consumes the body's bytes at the front of `bytes`; returns how many belong to it (all of
    /// them unless the body ended inside).
    /// - Throws: `.malformed` for anything that is not chunked framing.
    mutating func scan(_ bytes: Span<UInt8>) throws(HTTPHeadError) -> Int {
        try scan(bytes, data: { _ in })
    }

    /// As `scan(_:)`, also telling `data` where each piece of chunk data lies in `bytes` (to
    /// decode the body, for an HTTP/2 stream).
    @inline(__always)
    mutating func scan(_ bytes: Span<UInt8>, data: (Range<Int>) -> Void) throws(HTTPHeadError) -> Int {
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            switch state {
            case .size:
                if let digit = Self.hexValue(byte) {
                    guard size < (1 << 40) else { throw .malformed }
                    size = size * 16 + digit
                    sawDigit = true
                } else if sawDigit && byte == ASCII.cr {
                    state = .sizeLF
                } else if sawDigit && (byte == UInt8(ascii: ";") || byte == ASCII.space || byte == ASCII.tab) {
                    state = .sizeExtension
                } else {
                    throw .malformed
                }
            case .sizeExtension:
                if byte == ASCII.cr {
                    state = .sizeLF
                } else if !ASCII.isValueChar(byte) {
                    throw .malformed
                }
            case .sizeLF:
                guard byte == ASCII.lf else { throw .malformed }
                state = size == 0 ? .trailerStart : .data(size)
            case .data(let remaining):
                let take = min(remaining, bytes.count - index)
                data(index..<index + take)
                payload += take
                state = take == remaining ? .dataCR : .data(remaining - take)
                index += take
                continue
            case .dataCR:
                guard byte == ASCII.cr else { throw .malformed }
                state = .dataLF
            case .dataLF:
                guard byte == ASCII.lf else { throw .malformed }
                state = .size
                size = 0
                sawDigit = false
            case .trailerStart:
                if byte == ASCII.cr {
                    state = .finalLF
                } else if ASCII.isTokenChar(byte) {
                    state = .trailerLine
                } else {
                    throw .malformed
                }
            case .trailerLine:
                if byte == ASCII.cr {
                    state = .trailerLF
                } else if !ASCII.isValueChar(byte) {
                    throw .malformed
                }
            case .trailerLF:
                guard byte == ASCII.lf else { throw .malformed }
                state = .trailerStart
            case .finalLF:
                guard byte == ASCII.lf else { throw .malformed }
                state = .done
                return index + 1
            case .done:
                return index
            }
            index += 1
        }
        return index
    }

    private static func hexValue(_ byte: UInt8) -> Int? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): Int(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): Int(byte - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): Int(byte - UInt8(ascii: "A") + 10)
        default: nil
        }
    }
}
