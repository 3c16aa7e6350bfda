/// What is left of a body being forwarded, and how to tell where it ends.
struct BodyTracker: Hashable {
    private var length: BodyLength
    private var remaining: Int
    private var chunks = ChunkedScanner()

    init(_ length: BodyLength) {
        self.length = length
        if case .length(let count) = length { remaining = count } else { remaining = 0 }
    }

    /// Body bytes taken so far, without chunked framing.
    var payload: Int {
        switch length {
        case .none: 0
        case .length(let count): count - remaining
        case .chunked: chunks.payload
        case .untilClose: untilCloseTaken
        }
    }

    private var untilCloseTaken = 0

    /// The body ends when the sender closes the connection.
    var endsWithClose: Bool { length == .untilClose }

    /// Nothing more belongs to the body.
    var isComplete: Bool {
        switch length {
        case .none: true
        case .length: remaining == 0
        case .chunked: chunks.isDone
        case .untilClose: false
        }
    }

    /// How many bytes at the front of `bytes` belong to the body; updates what is left.
    mutating func take(_ bytes: Span<UInt8>) throws(HTTPHeadError) -> Int {
        switch length {
        case .none:
            return 0
        case .length:
            let count = min(remaining, bytes.count)
            remaining -= count
            return count
        case .chunked:
            return try chunks.scan(bytes)
        case .untilClose:
            untilCloseTaken += bytes.count
            return bytes.count
        }
    }
}
