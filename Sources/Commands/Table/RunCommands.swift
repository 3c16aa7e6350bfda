import ArgumentParser
import Foundation
import OpenrukoCore
import Operations

/// `run APP CMD…` (attached: stdin, stdout and the exit status are the process's) and
/// `run:detached APP CMD…` (output to the app's log as `app[run.N]`), and
/// `run:inside APP DYNO CMD…` (a process inside a running dyno, attached like `run`).
enum RunCommands {
    static let all: [any TableCommand.Type] = [Run.self, Detached.self, Inside.self]

    struct Run: TableCommand {
        static let configuration = CommandConfiguration(
            commandName: "run", abstract: "Run a command in a one-off dyno: run APP [--size S] [--env K=V] CMD…")
        @Argument(parsing: .captureForPassthrough) var words: [String] = []

        func execute(in context: CommandContext) async throws {
            let parsed = try RunArguments(parsing: words)
            // With the client's terminal (`ssh -t`): a PTY of its size, following its changes.
            let attachment = DynoAttachment(window: context.terminal)
            _ = try await context.platform.runDyno(parsed.app, parsed.request(attach: true), attachment: attachment, as: context.principal)
            guard attachment.connect() else { throw OpenrukoError(.unavailable, "The one-off dyno could not be attached.") }
            let status = await withTaskCancellationHandler {
                await Self.pump(attachment, io: context.io)
            } onCancel: {
                attachment.hangUp()
            }
            if status != 0 { throw CommandExit(status: status) }
        }

        /// Client input to the process and its output back, until it ends; its exit status.
        static func pump(_ attachment: DynoAttachment, io: any CommandIO) async -> Int32 {
            let reader = Task {
                while let chunk = await io.read() { await attachment.input.send(Array(chunk)) }
                attachment.input.finish()
            }
            defer { reader.cancel() }
            while let chunk = await attachment.output.next() {
                do {
                    try await io.send(Data(chunk))
                } catch {
                    attachment.hangUp()  // the client went away: the process stops
                    return 255
                }
            }
            return await attachment.exitStatus()
        }
    }

    struct Inside: TableCommand {
        static let configuration = CommandConfiguration(
            commandName: "run:inside", abstract: "Run a command inside a running dyno: run:inside APP DYNO [--env K=V] CMD…")
        @Argument(parsing: .captureForPassthrough) var words: [String] = []

        func execute(in context: CommandContext) async throws {
            var rest = words
            guard let index = Self.dynoIndex(words) else {
                throw OpenrukoError(.invalid, "Usage: run:inside APP DYNO [--env K=V] COMMAND… (e.g. run:inside APP web.1 bash)")
            }
            let dyno = rest.remove(at: index)
            let parsed = try RunArguments(parsing: rest)
            let attachment = DynoAttachment(window: context.terminal)
            _ = try await context.platform.runInside(
                parsed.app, dyno: dyno, parsed.request(attach: true), attachment: attachment, as: context.principal)
            guard attachment.connect() else { throw OpenrukoError(.unavailable, "The process could not be attached.") }
            let status = await withTaskCancellationHandler {
                await Run.pump(attachment, io: context.io)
            } onCancel: {
                attachment.hangUp()
            }
            if status != 0 { throw CommandExit(status: status) }
        }

        /// Where the dyno's name is in `words`: the positional word after the app (the first
        /// positional one, unless `-a APP` names it), skipping options and their values.
        static func dynoIndex(_ words: [String]) -> Int? {
            var index = 0
            var needed = words.contains { $0 == "-a" || $0 == "--app" } ? 1 : 2
            while index < words.count {
                let word = words[index]
                if word == "--" { return nil }
                if ["-a", "--app", "-s", "--size", "--type", "-e", "--env"].contains(word) {
                    index += 2
                    continue
                }
                if word.hasPrefix("-") { return nil }
                needed -= 1
                if needed == 0 { return index }
                index += 1
            }
            return nil
        }
    }

    struct Detached: TableCommand {
        static let configuration = CommandConfiguration(
            commandName: "run:detached", abstract: "Run a command in a detached one-off dyno (output in logs).")
        @Argument(parsing: .captureForPassthrough) var words: [String] = []

        func execute(in context: CommandContext) async throws {
            let parsed = try RunArguments(parsing: words)
            let (app, dyno) = try await context.platform.runDyno(parsed.app, parsed.request(attach: false), attachment: nil, as: context.principal)
            context.say("Running \(dyno.command) on \(app.name)... up, \(dyno.name)")
            context.say("Use 'logs \(app.name) --dyno \(dyno.name)' to view the output.")
        }
    }
}

/// The words of `run`/`run:detached`: the app (positional, or `-a/--app`), `--size S`,
/// `--env K=V` (repeatable, or `K=V;K2=V2` as the heroku CLI writes it), `--type T`, then the
/// command (every remaining word, joined by spaces as the heroku CLI joins them; `--` ends
/// the options).
struct RunArguments: Sendable, Hashable {
    var app: String
    var command: String
    var size: String?
    var type: String?
    var env: [String: String] = [:]

    init(parsing words: [String]) throws(OpenrukoError) {
        var app: String?
        var rest = words[...]
        var size: String?
        var type: String?
        var env: [String: String] = [:]
        func value(_ option: String) throws(OpenrukoError) -> String {
            guard let next = rest.popFirst() else { throw OpenrukoError(.invalid, "\(option) needs a value.") }
            return next
        }
        options: while let word = rest.first {
            switch word {
            case "--":
                rest = rest.dropFirst()
                break options
            case "-a", "--app":
                rest = rest.dropFirst()
                app = try value(word)
            case "-s", "--size":
                rest = rest.dropFirst()
                size = try value(word)
            case "--type":
                rest = rest.dropFirst()
                type = try value(word)
            case "-e", "--env":
                rest = rest.dropFirst()
                for pair in try value(word).split(separator: ";") {
                    let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                    guard parts.count == 2, !parts[0].isEmpty else { throw OpenrukoError(.invalid, "--env takes KEY=value, not \(pair).") }
                    env[String(parts[0])] = String(parts[1])
                }
            default:
                guard app == nil, !word.hasPrefix("-") else { break options }
                rest = rest.dropFirst()
                app = word
            }
        }
        guard let app else { throw OpenrukoError(.invalid, "Usage: run APP [--size SIZE] [--env K=V] COMMAND…") }
        guard !rest.isEmpty else { throw OpenrukoError(.invalid, "Usage: run APP [--size SIZE] [--env K=V] COMMAND… (give a command)") }
        self.app = app
        command = rest.joined(separator: " ")
        self.size = size
        self.type = type
        self.env = env
    }

    func request(attach: Bool) -> OneOffRequest {
        OneOffRequest(command: command, size: size, type: type, env: env, attach: attach)
    }
}
