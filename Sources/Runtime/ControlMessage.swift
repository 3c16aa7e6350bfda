import Foundation
package import OpenrukoCore

/// One request to the daemon's control socket (`DATA_DIR/run/control.sock`): one JSON line.
/// The daemon answers with `ControlReply` lines: any number of `output` lines, then one
/// with `done` or `error`.
package struct ControlRequest: Codable, Sendable {
    /// What to do.
    package enum Operation: String, Codable, Sendable {
        case prepareRollout, appChanged, appDestroyed, restart, stop, dynos, releasePhase, logs
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
