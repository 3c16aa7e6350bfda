import Foundation
import OpenrukoCore

/// One message on the log socket (`DATA_DIR/run/logs.sock`): a JSON object per line, either
/// a log line or `{"sync":true}`, which the daemon answers (once every line before it is on
/// disk) with `ok` and closes the connection.
struct ForwardedLine: Codable {
    /// Microseconds since 1970.
    var t: Int64?
    var a: UUID?
    var s: String?
    var p: String?
    var m: String?
    var sync: Bool?

    init(_ line: LogLine) {
        t = Int64((line.timestamp.timeIntervalSince1970 * 1_000_000).rounded(.down))
        a = line.appID
        s = line.source
        p = line.process
        m = line.message
    }

    init(sync: Bool) {
        self.sync = sync
    }

    /// The log line this message carries, if it is one.
    var line: LogLine? {
        guard let t, let a, let s, let p, let m else { return nil }
        return LogLine(timestamp: Date(timeIntervalSince1970: Double(t) / 1_000_000), appID: a, source: s, process: p, message: m)
    }

    /// The message as one JSON line.
    var encoded: Data {
        var data = (try? JSONEncoder().encode(self)) ?? Data("{}".utf8)
        data.append(UInt8(ascii: "\n"))
        return data
    }
}
