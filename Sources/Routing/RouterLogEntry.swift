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

    /// The log message (without timestamp and `heroku[router]:` tag).
    package var message: String {
        var line = ""
        line.reserveCapacity(200 + path.utf8.count + host.utf8.count)
        if let error {
            line += "at=error code="
            line += error.code ?? "-"
            line += " desc=\""
            line += error.description
            line += "\" method="
        } else {
            line += "at=info method="
        }
        line += method
        line += " path=\""
        Self.appendQuoted(path, to: &line)
        line += "\" host="
        line += host
        line += " request_id="
        line += requestID
        line += " fwd=\""
        Self.appendQuoted(forwardedFor, to: &line)
        line += "\" dyno="
        line += dyno ?? ""
        line += " connect="
        Self.appendMilliseconds(connect, to: &line)
        line += " service="
        Self.appendMilliseconds(service, to: &line)
        line += " status="
        line += String(status)
        line += " bytes="
        if let bytes { line += String(bytes) }
        line += " protocol="
        line += proto
        return line
    }

    private static func appendMilliseconds(_ value: Int?, to line: inout String) {
        guard let value else { return }
        line += String(value)
        line += "ms"
    }

    /// Keeps the value on one line and inside its quotes.
    private static func appendQuoted(_ value: String, to line: inout String) {
        guard value.utf8.contains(where: { $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") || $0 < 0x20 }) else {
            line += value
            return
        }
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": line += "\\\""
            case "\\": line += "\\\\"
            case _ where scalar.value < 0x20: line += "\\x" + String(scalar.value, radix: 16)
            default: line.unicodeScalars.append(scalar)
            }
        }
    }
}
