import ArgumentParser
import Foundation
import OpenrukoCore
import Operations

/// `logs`, `drains`, `drains:add`, `drains:remove`.
enum LogCommands {
    static let all: [any TableCommand.Type] = [Logs.self, Drains.self, AddDrain.self, RemoveDrain.self]

    struct Logs: TableCommand {
        static let configuration = CommandConfiguration(commandName: "logs", abstract: "Show an app's log; -t keeps streaming.")
        @Argument var name: String?
        @OptionGroup var appOption: AppOption
        @Option(name: [.customShort("n"), .customLong("num")], help: "How many recent lines.") var lines: Int = 100
        @Flag(name: [.customShort("t"), .customLong("tail")], help: "Keep streaming new lines.") var tail = false
        @Option(name: [.customShort("d"), .customLong("dyno")], help: "Only this dyno (web.1) or type (web).") var dyno: String?
        @Option(name: [.customShort("s"), .customLong("source")], help: "Only 'app' or 'heroku' lines.") var source: String?

        func execute(in context: CommandContext) async throws {
            let app = try context.platform.app(try appOption.resolve(name), as: context.principal)
            guard lines >= 0 else { throw OpenrukoError(.invalid, "-n must be 0 or more.") }
            if let source, !["app", "heroku"].contains(source) {
                throw OpenrukoError(.invalid, "--source must be 'app' or 'heroku'.")
            }
            guard let reader = context.logs else {
                throw OpenrukoError(.unavailable, "Logs are not available in this process.")
            }
            let query = LogQuery(lines: min(lines, 1500), tail: tail, dyno: dyno, source: source)
            for await line in reader.read(app: app, query: query) {
                try Task.checkCancellation()
                context.io.write(line + "\n")
            }
        }
    }

    struct Drains: TableCommand {
        static let configuration = CommandConfiguration(commandName: "drains", abstract: "List an app's log drains.")
        @Argument var name: String?
        @OptionGroup var appOption: AppOption
        @OptionGroup var format: JSONFlag

        func execute(in context: CommandContext) async throws {
            let (app, drains) = try context.platform.drains(try appOption.resolve(name), as: context.principal)
            if format.json { return context.io.write(Output.json(drains)) }
            context.io.write(Output.header("\(app.name) Drains"))
            context.io.write(Output.table(drains.map { [$0.url, "(\($0.token))"] }))
        }
    }

    struct AddDrain: TableCommand {
        static let configuration = CommandConfiguration(
            commandName: "drains:add", abstract: "Send an app's log to syslog://, syslog+tls:// or https://.")
        @Argument var words: [String] = []
        @OptionGroup var appOption: AppOption

        func execute(in context: CommandContext) async throws {
            var words = words
            let name = try appOption.resolve(&words)
            guard words.count == 1 else { throw OpenrukoError(.invalid, "Usage: drains:add APP URL") }
            let drain = try context.platform.addDrain(name, url: words[0], as: context.principal)
            context.say("Successfully added drain \(drain.url)")
        }
    }

    struct RemoveDrain: TableCommand {
        static let configuration = CommandConfiguration(commandName: "drains:remove", abstract: "Remove a log drain.")
        @Argument var words: [String] = []
        @OptionGroup var appOption: AppOption

        func execute(in context: CommandContext) async throws {
            var words = words
            let name = try appOption.resolve(&words)
            guard words.count == 1 else { throw OpenrukoError(.invalid, "Usage: drains:remove APP URL") }
            let drain = try context.platform.removeDrain(name, url: words[0], as: context.principal)
            context.say("Successfully removed drain \(drain.url)")
        }
    }
}
