import NIOCore

/// One `heroku[router]` line, in Heroku's shape:
/// `at=info method=GET path="/" host=… request_id=… fwd="…" dyno=web.1 connect=1ms service=5ms status=200 bytes=123 protocol=http`,
/// or `at=error code=H14 desc="No web processes running" method=… dyno= connect= service= status=503 bytes= protocol=http`.
package struct RouterLogEntry: Hashable, Sendable {
    /// Set for `at=error` lines.
    package var error: RoutingError?
    package var method: String
    /// Path and query as the client sent them.
    package var path: String
    package var host: String
    package var requestID: String
    /// The `X-Forwarded-For` value the dyno received.
    package var forwardedFor: String
    /// `web.1`; nil when no dyno was chosen.
    package var dyno: String?
    /// Milliseconds to connect to the dyno (0 for a kept-alive connection); nil when none was made.
    package var connect: Int?
    /// Milliseconds from sending the request to the end of the response; nil without a dyno.
    package var service: Int?
    package var status: Int
    /// Response body bytes from the dyno to the client; nil when the router answered itself.
    package var bytes: Int?
    /// `http` or `https`.
    package var proto: String

    package init(
        error: RoutingError? = nil, method: String, path: String, host: String, requestID: String, forwardedFor: String,
        dyno: String? = nil, connect: Int? = nil, service: Int? = nil, status: Int, bytes: Int? = nil, proto: String
    ) {
        self.error = error
        self.method = method
        self.path = path
        self.host = host
        self.requestID = requestID
        self.forwardedFor = forwardedFor
        self.dyno = dyno
        self.connect = connect
        self.service = service
        self.status = status
        self.bytes = bytes
        self.proto = proto
    }

    /// The log message (without timestamp and `heroku[router]:` tag). Built in a byte buffer:
    /// one of these is made per request.
    package var message: String {
        var line = ByteBuffer()
        return message(using: &line)
    }

    /// The message, built in `line` (cleared first; a connection reuses one).
    func message(using line: inout ByteBuffer) -> String {
        line.clear()
        line.reserveCapacity(200 + path.utf8.count + host.utf8.count + forwardedFor.utf8.count)
        if let error {
            // Maintenance mode is not a failure: Heroku logs H80 at info level.
            if error.page == .maintenance { line.writeStaticString("at=info code=") } else { line.writeStaticString("at=error code=") }
            line.writeString(error.code ?? "-")
            line.writeStaticString(" desc=\"")
            line.writeString(error.description)
            line.writeStaticString("\" method=")
        } else {
            line.writeStaticString("at=info method=")
        }
        line.writeString(method)
        line.writeStaticString(" path=\"")
        Self.writeQuoted(path, to: &line)
        line.writeStaticString("\" host=")
        line.writeString(host)
        line.writeStaticString(" request_id=")
        line.writeString(requestID)
        line.writeStaticString(" fwd=\"")
        Self.writeQuoted(forwardedFor, to: &line)
        line.writeStaticString("\" dyno=")
        if let dyno { line.writeString(dyno) }
        line.writeStaticString(" connect=")
        Self.writeMilliseconds(connect, to: &line)
        line.writeStaticString(" service=")
        Self.writeMilliseconds(service, to: &line)
        line.writeStaticString(" status=")
        line.writeDecimal(status)
        line.writeStaticString(" bytes=")
        if let bytes { line.writeDecimal(bytes) }
        line.writeStaticString(" protocol=")
        line.writeString(proto)
        return line.readString(length: line.readableBytes) ?? ""
    }

    private static func writeMilliseconds(_ value: Int?, to line: inout ByteBuffer) {
        guard let value else { return }
        line.writeDecimal(value)
        line.writeStaticString("ms")
    }

    /// Keeps the value on one line and inside its quotes.
    private static func writeQuoted(_ value: String, to line: inout ByteBuffer) {
        guard value.utf8.contains(where: { $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") || $0 < 0x20 }) else {
            line.writeString(value)
            return
        }
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\""): line.writeStaticString("\\\"")
            case UInt8(ascii: "\\"): line.writeStaticString("\\\\")
            case _ where byte < 0x20: line.writeString("\\x" + String(byte, radix: 16))
            default: line.writeInteger(byte)
            }
        }
    }
}

extension ByteBuffer {
    /// Writes `value` in decimal without making a string.
    mutating func writeDecimal(_ value: some BinaryInteger) {
        if value < 0 { writeStaticString("-") }
        var magnitude = UInt64(value.magnitude)
        var scale: UInt64 = 1
        while magnitude / scale >= 10 { scale *= 10 }
        while scale > 0 {
            writeInteger(UInt8(ascii: "0") + UInt8(magnitude / scale))
            magnitude %= scale
            scale /= 10
        }
    }
}
