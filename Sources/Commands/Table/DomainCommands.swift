import ArgumentParser
import Foundation
import OpenrukoCore
import Operations

/// `domains`, `domains:add`, `domains:remove`.
enum DomainCommands {
    static let all: [any TableCommand.Type] = [List.self, Add.self, Remove.self]

    struct List: TableCommand {
        static let configuration = CommandConfiguration(commandName: "domains", abstract: "List an app's hostnames.")
        @Argument var name: String?
        @OptionGroup var appOption: AppOption
        @OptionGroup var format: JSONFlag

        func execute(in context: CommandContext) async throws {
            let (app, domains) = try context.platform.domains(try appOption.resolve(name), as: context.principal)
            if format.json { return context.io.write(Output.json(domains)) }
            context.io.write(Output.header("\(app.name) Heroku Domain"))
            context.say(context.platform.urls.webURL(app.name))
            if !domains.isEmpty {
                context.say()
                context.io.write(Output.header("\(app.name) Custom Domains"))
                context.io.write(Output.table(domains.map { [$0.hostname] }))
            }
        }
    }

    struct Add: TableCommand {
        static let configuration = CommandConfiguration(commandName: "domains:add", abstract: "Route a custom hostname to an app.")
        @Argument var words: [String] = []
        @OptionGroup var appOption: AppOption

        func execute(in context: CommandContext) async throws {
            var words = words
            let name = try appOption.resolve(&words)
            guard words.count == 1 else { throw OpenrukoError(.invalid, "Usage: domains:add APP HOSTNAME") }
            let domain = try context.platform.addDomain(name, hostname: words[0], as: context.principal)
            context.say("Adding \(domain.hostname) to \(name)... done")
        }
    }

    struct Remove: TableCommand {
        static let configuration = CommandConfiguration(commandName: "domains:remove", abstract: "Stop routing a hostname.")
        @Argument var words: [String] = []
        @OptionGroup var appOption: AppOption

        func execute(in context: CommandContext) async throws {
            var words = words
            let name = try appOption.resolve(&words)
            guard words.count == 1 else { throw OpenrukoError(.invalid, "Usage: domains:remove APP HOSTNAME") }
            try context.platform.removeDomain(name, hostname: words[0], as: context.principal)
            context.say("Removing \(words[0].lowercased()) from \(name)... done")
        }
    }
}
