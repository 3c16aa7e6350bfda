import ArgumentParser
import Foundation
import OpenrukoCore
import Operations

/// `access`, `access:add`, `access:remove`.
enum AccessCommands {
    static let all: [any TableCommand.Type] = [List.self, Add.self, Remove.self]

    struct List: TableCommand {
        static let configuration = CommandConfiguration(commandName: "access", abstract: "List who can act on an app.")
        @Argument var name: String?
        @OptionGroup var appOption: AppOption
        @OptionGroup var format: JSONFlag

        func execute(in context: CommandContext) async throws {
            let (app, collaborators) = try context.platform.collaborators(try appOption.resolve(name), as: context.principal)
            if format.json {
                struct Entry: Encodable { var email, role: String }
                let entries = [Entry(email: app.ownerEmail, role: "owner")]
                    + collaborators.map { Entry(email: $0.email, role: "collaborator") }
                return context.io.write(Output.json(entries))
            }
            context.io.write(Output.header("\(app.name) Access List"))
            context.io.write(Output.table([[app.ownerEmail, "owner"]] + collaborators.map { [$0.email, "collaborator"] }))
        }
    }

    struct Add: TableCommand {
        static let configuration = CommandConfiguration(commandName: "access:add", abstract: "Give a user access to an app.")
        @Argument var words: [String] = []
        @OptionGroup var appOption: AppOption

        func execute(in context: CommandContext) async throws {
            var words = words
            let app = try appOption.resolve(&words)
            guard words.count == 1 else { throw OpenrukoError(.invalid, "Usage: access:add APP EMAIL") }
            let added = try context.platform.addCollaborator(app, email: words[0], as: context.principal)
            context.say("Adding \(added.email) access to the app \(app)... done")
        }
    }

    struct Remove: TableCommand {
        static let configuration = CommandConfiguration(commandName: "access:remove", abstract: "Take a user's access away.")
        @Argument var words: [String] = []
        @OptionGroup var appOption: AppOption

        func execute(in context: CommandContext) async throws {
            var words = words
            let app = try appOption.resolve(&words)
            guard words.count == 1 else { throw OpenrukoError(.invalid, "Usage: access:remove APP EMAIL") }
            let removed = try context.platform.removeCollaborator(app, email: words[0], as: context.principal)
            context.say("Removing \(removed.email) access from the app \(app)... done")
        }
    }
}
