import ArgumentParser
import Foundation
import OpenrukoCore
import Operations

/// `ps`, `ps:scale`, `ps:restart`, `ps:stop`.
enum PsCommands {
    static let all: [any TableCommand.Type] = [List.self, Scale.self, Restart.self, Stop.self]

    struct List: TableCommand {
        static let configuration = CommandConfiguration(commandName: "ps", abstract: "List an app's dynos and their states.")
        @Argument var name: String?
        @OptionGroup var appOption: AppOption
        @OptionGroup var format: JSONFlag

        func execute(in context: CommandContext) async throws {
            let platform = context.platform
            let (app, dynos) = try await platform.dynos(try appOption.resolve(name), as: context.principal)
            if format.json { return context.io.write(Output.json(dynos)) }
            let (_, formation) = try platform.formation(app.name, as: context.principal)
            if dynos.isEmpty {
                return context.say("No dynos on \(app.name)")
            }
            let now = Date()
            for type in Swift.Set(dynos.map(\.type)).sorted() {
                let ofType = dynos.filter { $0.type == type }.sorted { $0.name.localizedStandardCompare($1.name) == .orderedAscending }
                let entry = formation.first { $0.type == type }
                if entry == nil || type == "run" {
                    // One-off dynos, as Heroku lists them: each with its own command and age.
                    context.io.write(Output.header("\(type): one-off processes (\(ofType.count))"))
                    for dyno in ofType {
                        let age = PsCommands.age(now.timeIntervalSince(dyno.createdAt))
                        context.say("\(dyno.name) (\(dyno.size)): \(dyno.state.rawValue) \(UTCCalendar.display(dyno.updatedAt)) (~ \(age) ago): \(dyno.command)")
                    }
                    context.say()
                    continue
                }
                let command = entry?.command ?? ofType.first?.command ?? ""
                context.io.write(Output.header("\(type) (\(entry?.size ?? FormationEntry.defaultSize)): \(command) (\(ofType.count))"))
                for dyno in ofType {
                    context.say("\(dyno.name): \(dyno.state.rawValue) \(UTCCalendar.display(dyno.updatedAt)) (~ \(PsCommands.age(now.timeIntervalSince(dyno.updatedAt))) ago)")
                }
                context.say()
            }
        }
    }

    struct Scale: TableCommand {
        static let configuration = CommandConfiguration(
            commandName: "ps:scale", abstract: "Scale process types: web=2 worker+1 web=1:standard-2X.")
        @Argument var words: [String] = []
        @OptionGroup var appOption: AppOption

        func execute(in context: CommandContext) async throws {
            var words = words
            let name = try appOption.resolve(&words)
            if words.isEmpty {
                let (_, formation) = try context.platform.formation(name, as: context.principal)
                return context.say(formation.map { "\($0.type)=\($0.quantity):\($0.size)" }.joined(separator: " "))
            }
            var changes: [FormationChange] = []
            for word in words { changes.append(try FormationChange(parsing: word)) }
            let updated = try await context.platform.scale(name, changes, as: context.principal)
            let summary = updated.map { "\($0.type) at \($0.quantity):\($0.size)" }.joined(separator: ", ")
            context.say("Scaling dynos... done, now running \(summary)")
        }
    }

    struct Restart: TableCommand {
        static let configuration = CommandConfiguration(
            commandName: "ps:restart", abstract: "Restart all dynos, one type (web) or one dyno (web.1).")
        @Argument var words: [String] = []
        @OptionGroup var appOption: AppOption

        func execute(in context: CommandContext) async throws {
            var words = words
            let name = try appOption.resolve(&words)
            guard words.count <= 1 else { throw OpenrukoError(.invalid, "Usage: ps:restart APP [TYPE|DYNO]") }
            _ = try await context.platform.restart(name, target: words.first, as: context.principal)
            context.say("Restarting \(words.first.map { "\($0) dynos" } ?? "dynos") on \(name)... done")
        }
    }

    struct Stop: TableCommand {
        static let configuration = CommandConfiguration(commandName: "ps:stop", abstract: "Stop one type (web) or one dyno (web.1).")
        @Argument var words: [String] = []
        @OptionGroup var appOption: AppOption

        func execute(in context: CommandContext) async throws {
            var words = words
            let name = try appOption.resolve(&words)
            guard words.count == 1 else { throw OpenrukoError(.invalid, "Usage: ps:stop APP TYPE|DYNO") }
            _ = try await context.platform.stop(name, target: words[0], as: context.principal)
            context.say("Stopping \(words[0]) dynos on \(name)... done")
        }
    }

    /// `5m`, `2h`, `3d`.
    static func age(_ seconds: TimeInterval) -> String {
        let s = max(0, Int(seconds))
        if s < 60 { return "\(s)s" }
        if s < 3600 { return "\(s / 60)m" }
        if s < 86_400 { return "\(s / 3600)h" }
        return "\(s / 86_400)d"
    }
}
