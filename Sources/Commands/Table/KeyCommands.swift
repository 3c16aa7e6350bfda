import ArgumentParser
import Foundation
import OpenrukoCore
import Operations

/// `keys`, `keys:add`, `keys:remove`, `tokens:create`.
enum KeyCommands {
    static let all: [any TableCommand.Type] = [List.self, Add.self, Remove.self, CreateToken.self]

    struct List: TableCommand {
        static let configuration = CommandConfiguration(commandName: "keys", abstract: "List SSH keys.")
        @Option(help: "Whose keys (admins only).") var user: String?
        @OptionGroup var format: JSONFlag

        func execute(in context: CommandContext) async throws {
            let keys = try context.platform.keys(user: user, as: context.principal)
            if format.json { return context.io.write(Output.json(keys)) }
            let owner = keys.first?.userEmail ?? user ?? context.principal.user?.email ?? "your"
            context.io.write(Output.header("\(owner) Keys"))
            if keys.isEmpty { return context.say("No keys. Add one with keys:add < ~/.ssh/id_ed25519.pub") }
            context.io.write(Output.table(keys.map { [$0.name, $0.type, $0.fingerprint] }))
        }
    }

    struct Add: TableCommand {
        static let configuration = CommandConfiguration(commandName: "keys:add", abstract: "Add an SSH public key, read from stdin.")
        @Option(help: "For whom (admins only).") var user: String?
        @Option(help: "A name for the key (default: its comment).") var name: String?

        func execute(in context: CommandContext) async throws {
            let line = String(decoding: await context.io.readAll(), as: UTF8.self)
            let key = try context.platform.addKey(line, name: name, user: user, as: context.principal)
            context.say("Added key \(key.name) (\(key.fingerprint)) for \(key.userEmail)")
        }
    }

    struct Remove: TableCommand {
        static let configuration = CommandConfiguration(
            commandName: "keys:remove", abstract: "Remove an SSH key by fingerprint or name.")
        @Argument var key: String
        @Option(help: "Whose key (admins only).") var user: String?

        func execute(in context: CommandContext) async throws {
            let removed = try context.platform.removeKey(key, user: user, as: context.principal)
            context.say("Removed key \(removed.name) (\(removed.fingerprint))")
        }
    }

    struct CreateToken: TableCommand {
        static let configuration = CommandConfiguration(
            commandName: "tokens:create", abstract: "Create an API token (for HEROKU_API_KEY); printed once.")
        @Option(help: "For whom (admins only).") var user: String?
        @Option(name: .customLong("description"), help: "What the token is for.") var purpose: String = "openruko token"

        func execute(in context: CommandContext) async throws {
            let (_, secret) = try context.platform.createToken(user: user, description: purpose, as: context.principal)
            context.say(secret)
        }
    }
}
