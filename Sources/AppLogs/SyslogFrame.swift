import Foundation

/// RFC 5424 messages of stored lines, octet-counted (RFC 6587) as Logplex frames them.
enum SyslogFrame {
    /// Logplex's priorities: app lines local7.info, the router local3.info, other platform
    /// lines local0.info, Logplex's own errors local5.warning.
    static func priority(source: Substring, process: Substring) -> Int {
        if source == "app" { return 190 }
        if process == "router" { return 158 }
        if process == "logplex" { return 172 }
        return 134
    }

    /// `LEN <PRI>1 TIMESTAMP TOKEN SOURCE PROCESS - - MESSAGE`, as Heroku's syslog drains
    /// send it (the drain token as the host name).
    static func syslog(_ line: String, token: String) -> String? {
        guard let text = LogText(Substring(line)) else { return nil }
        return counted(
            "<\(priority(source: text.source, process: text.process))>1 \(text.timestamp) \(token) \(text.source) \(text.process) - - \(text.message)")
    }

    /// `LEN <PRI>1 TIMESTAMP host SOURCE PROCESS - MESSAGE`, the body frames of an
    /// `application/logplex-1` POST (Logplex sends the literal host name `host` and no
    /// structured-data field there; the token travels in `Logplex-Drain-Token`).
    static func logplex(_ line: String) -> String? {
        guard let text = LogText(Substring(line)) else { return nil }
        return counted("<\(priority(source: text.source, process: text.process))>1 \(text.timestamp) host \(text.source) \(text.process) - \(text.message)")
    }

    private static func counted(_ message: String) -> String {
        "\(message.utf8.count) \(message)"
    }
}
