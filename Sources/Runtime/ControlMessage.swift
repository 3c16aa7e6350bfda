import Foundation
package import OpenrukoCore

/// One request to the daemon's control socket (`DATA_DIR/run/control.sock`): one JSON line.
/// The daemon answers with `ControlReply` lines: any number of `output` lines, then one
/// with `done` or `error`.
package struct ControlRequest: Codable, Sendable {
    /// What to do.
    package enum Operation: String, Codable, Sendable {
        case prepareRollout, appChanged, appDestroyed, restart, stop, dynos, releasePhase, logs
        /// A one-off (`plan`, `release`, `slug`) or, with `target`, a process inside that dyno,
        /// for `openruko ssh-command` (OpenSSH mode): attached when `terminal` is set.
        case runOneOff, runInside
    }

    package var operation: Operation
    package var app: App
    package var release: Release?
    package var slug: Slug?
    package var command: String?
    package var target: String?
    package var logLines: Int?
    package var logTail: Bool?
    package var logDyno: String?
    package var logSource: String?
    /// Log lines the calling process wrote (`app[api]`), for the daemon's log.
    package var forwarded: [LogLine]?
    /// `runOneOff`/`runInside`: the one-off the platform accepted (authorized by the caller).
    package var plan: OneOffPlan?
    /// `runOneOff`/`runInside`: how the caller attaches (nil: detached).
    package var attach: ControlAttach?

    package init(_ operation: Operation, app: App) {
        self.operation = operation
        self.app = app
    }
}

/// One line of the daemon's answer.
package struct ControlReply: Codable, Sendable {
    /// A line of release-phase or rollout output, or of the log.
    package var output: String?
    /// The request is complete.
    package var done: Bool?
    package var readiness: RolloutReadiness?
    package var dynos: [Dyno]?
    package var succeeded: Bool?
    /// `runOneOff`/`runInside` attached: first a reply with the `ticket` to the rendezvous
    /// listener, then the final one with the process's `exitStatus`.
    package var ticket: ControlTicket?
    package var exitStatus: Int32?
    package var errorKind: String?
    package var errorMessage: String?

    package init(output: String? = nil, done: Bool? = nil) {
        self.output = output
        self.done = done
    }

    /// A final error line.
    package static func failure(_ error: OpenrukoError) -> ControlReply {
        var reply = ControlReply(done: true)
        reply.errorKind = error.kind.rawValue
        reply.errorMessage = error.message
        return reply
    }

    /// The error this reply carries, if any.
    package var error: OpenrukoError? {
        guard let errorMessage else { return nil }
        return OpenrukoError(OpenrukoError.Kind(rawValue: errorKind ?? "") ?? .internal, errorMessage)
    }
}

/// How an attached one-off of `openruko ssh-command` gets its terminal: a PTY of this size
/// and `TERM` (`tty`), or pipes.
package struct ControlAttach: Codable, Sendable, Hashable {
    package var tty: Bool
    package var columns: Int?
    package var lines: Int?
    package var term: String?

    package init(tty: Bool, columns: Int? = nil, lines: Int? = nil, term: String? = nil) {
        self.tty = tty
        self.columns = columns
        self.lines = lines
        self.term = term
    }
}

/// A line the caller of an attached one-off with a terminal sends after its request: the
/// client's window changed to this size (the daemon resizes the dyno's PTY; out-of-range
/// sizes are clamped as `TerminalSize` does).
package struct ControlResize: Codable, Sendable, Hashable {
    package var columns: Int
    package var lines: Int

    package init(columns: Int, lines: Int) {
        self.columns = columns
        self.lines = lines
    }
}

/// Where an attached one-off waits: the local rendezvous listener's host and port, the
/// attachment's secret, and the listener's certificate (PEM), which the caller pins.
package struct ControlTicket: Codable, Sendable, Hashable {
    package var host: String
    package var port: Int
    package var secret: String
    package var certificate: String

    package init(host: String, port: Int, secret: String, certificate: String) {
        self.host = host
        self.port = port
        self.secret = secret
        self.certificate = certificate
    }
}

extension DataLayout {
    /// `DATA_DIR/run/control.sock`: how other openruko processes reach the daemon.
    package var controlSocket: String { run + "/control.sock" }
}

/// Encodes and decodes the JSON lines of the control socket.
enum ControlCoding {
    static func line(_ value: some Encodable) -> Data {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .secondsSince1970
        var data = (try? encoder.encode(value)) ?? Data("{}".utf8)
        data.append(UInt8(ascii: "\n"))
        return data
    }

    static func decode<T: Decodable>(_ type: T.Type, _ line: Data) -> T? {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .secondsSince1970
        return try? decoder.decode(type, from: line)
    }
}
