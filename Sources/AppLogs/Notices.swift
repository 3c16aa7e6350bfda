package import Foundation
package import OpenrukoCore

/// The lines the log store writes about itself, in Logplex's words (source `heroku`,
/// process `logplex`).
package enum Notices {
    /// Lines lost before they reached the disk (a slow disk, or a burst bigger than the
    /// pending buffer): Logplex's L10.
    static func bufferOverflow(appID: UUID, dropped: Int, since: Date) -> String {
        line(appID, "Error L10 (output buffer overflow): \(dropped) messages dropped since \(LogLine.timestamp(since)).")
    }

    /// Lines a drain lost because it fell too far behind (down, or slower than the app).
    package static func drainOverflow(appID: UUID, token: String, dropped: Int, since: Date) -> LogLine {
        LogLine(
            appID: appID, source: "heroku", process: "logplex",
            message: "Error L10 (output buffer overflow): drain '\(token)' dropped \(dropped) messages since \(LogLine.timestamp(since)).")
    }

    /// Lines a live reader lost because it fell further behind than the log keeps: Logplex's L11.
    static func tailOverflow(appID: UUID, dropped: Int, since: Date) -> String {
        let count = dropped > 0 ? "\(dropped) messages" : "messages"
        return line(appID, "Error L11 (Tail buffer overflow): This tail session dropped \(count) since \(LogLine.timestamp(since)).")
    }

    private static func line(_ appID: UUID, _ message: String) -> String {
        LogLine(appID: appID, source: "heroku", process: "logplex", message: message).formatted
    }
}

extension LogLine {
    /// The longest message of one stored line; longer ones are split, as Logplex does.
    package static let maximumMessageBytes = 10_000

    /// The stored lines of this line: one per line of its message (a message never spans
    /// lines), each at most `maximumMessageBytes` long.
    package var storedLines: [String] {
        if !message.contains(where: { $0 == "\n" || $0 == "\r\n" }) && message.utf8.count <= Self.maximumMessageBytes {
            return [formatted]
        }
        var result: [String] = []
        let prefix = "\(LogLine.timestamp(timestamp)) \(source)[\(process)]: "
        for part in message.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }) {
            var piece = ""
            var bytes = 0
            for scalar in part.unicodeScalars {
                let size = String(scalar).utf8.count
                if bytes + size > Self.maximumMessageBytes {
                    result.append(prefix + piece)
                    piece = ""
                    bytes = 0
                }
                piece.unicodeScalars.append(scalar)
                bytes += size
            }
            result.append(prefix + piece)
        }
        return result
    }
}
