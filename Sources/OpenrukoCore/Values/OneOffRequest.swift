/// What a client asks of a one-off dyno (`POST /apps/{app}/dynos`, `run`, `run:detached`),
/// before validation.
package struct OneOffRequest: Sendable, Hashable {
    package var command: String
    /// A dyno size (nil: the default, standard-1X).
    package var size: String?
    /// `run` (nil) or a process type of the app's Procfile: the dyno is named `TYPE.N`.
    package var type: String?
    /// Extra environment variables of the process (over the config vars, under the platform's).
    package var env: [String: String]
    /// Attached to a client (`heroku run`), or detached (output to the app's log).
    package var attach: Bool
    /// Seconds it may live at most (nil: the platform's limit; never above it).
    package var timeToLive: Int?

    package init(
        command: String, size: String? = nil, type: String? = nil, env: [String: String] = [:], attach: Bool, timeToLive: Int? = nil
    ) {
        self.command = command
        self.size = size
        self.type = type
        self.env = env
        self.attach = attach
        self.timeToLive = timeToLive
    }
}

/// A one-off dyno the platform has accepted: the command to run (a Procfile type named as
/// the first word is replaced by its command, as on Heroku), its size, its name prefix and
/// its checked environment.
///
/// ```swift
/// try OneOffPlan(OneOffRequest(command: "worker 42", attach: false), processTypes: ["worker": "python w.py"], sizes: sizes)
/// // command "python w.py 42", type "run", size "standard-1X"
/// ```
package struct OneOffPlan: Sendable, Hashable, Codable {
    package var command: String
    package var size: String
    package var type: String
    package var env: [String: String]
    package var attach: Bool
    package var timeToLive: Int?

    /// The most bytes of `env` (keys and values) a request may carry.
    package static let environmentLimit = 32 << 10
    /// The longest command accepted.
    package static let commandLimit = 32 << 10

    /// - Parameters:
    ///   - processTypes: the release's Procfile.
    ///   - sizes: the sizes this server offers (canonical spelling first match wins).
    /// - Throws: `OpenrukoError.invalid` naming what is wrong.
    package init(_ request: OneOffRequest, processTypes: [String: String], sizes: [String]) throws(OpenrukoError) {
        let trimmed = request.command.trimmingWhitespace()
        guard !trimmed.isEmpty else {
            throw OpenrukoError(.invalid, "Give a command to run (e.g. bash).", resource: "dyno")
        }
        guard trimmed.utf8.count <= Self.commandLimit, !trimmed.contains("\0") else {
            throw OpenrukoError(.invalid, "The command is too long or holds a NUL byte.", resource: "dyno")
        }
        var command = trimmed
        let first = String(trimmed.prefix { !$0.isWhitespace })
        if let declared = processTypes[first], first != ProcessType.release.rawValue {
            command = declared + trimmed.dropFirst(first.count)
        }
        let sizeName = request.size.flatMap { $0.isEmpty ? nil : $0 } ?? "standard-1X"
        guard let size = sizes.first(where: { $0.lowercased() == sizeName.lowercased() }) else {
            throw OpenrukoError(
                .invalid, "There is no dyno size \(sizeName.debugDescription) here. Sizes: \(sizes.joined(separator: ", ")).",
                resource: "dyno")
        }
        let type = request.type.flatMap { $0.isEmpty ? nil : $0 } ?? "run"
        if type != "run" {
            guard processTypes[type] != nil, type != ProcessType.release.rawValue, type != ProcessType.web.rawValue else {
                throw OpenrukoError(.invalid, "Couldn't find that process type (\(type)) for a one-off dyno.", resource: "dyno")
            }
        }
        var bytes = 0
        for (key, value) in request.env {
            try ConfigKey.validate(key)
            guard !value.contains("\0") else {
                throw OpenrukoError(.invalid, "The value of \(key) holds a NUL byte.", resource: "dyno")
            }
            bytes += key.utf8.count + value.utf8.count
        }
        guard bytes <= Self.environmentLimit else {
            throw OpenrukoError(.invalid, "env is too large (at most \(Self.environmentLimit >> 10) KiB).", resource: "dyno")
        }
        if let ttl = request.timeToLive, ttl <= 0 {
            throw OpenrukoError(.invalid, "time_to_live must be a positive number of seconds.", resource: "dyno")
        }
        self.command = command
        self.size = size
        self.type = type
        env = request.env
        attach = request.attach
        timeToLive = request.timeToLive
    }
}
