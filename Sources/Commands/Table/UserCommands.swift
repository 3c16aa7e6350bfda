import ArgumentParser
import Foundation
import OpenrukoCore
import Operations

/// `users`, `users:create`, `users:destroy`, `users:passwd` (admins, or yourself for passwd).
enum UserCommands {
    static let all: [any TableCommand.Type] = [List.self, Create.self, Destroy.self, Passwd.self]

    struct List: TableCommand {
        static let configuration = CommandConfiguration(commandName: "users", abstract: "List users (admins only).")
        @OptionGroup var format: JSONFlag

        func execute(in context: CommandContext) async throws {
            let users = try context.platform.users(as: context.principal)
            if format.json { return context.io.write(Output.json(users)) }
            context.io.write(Output.header("Users"))
            context.io.write(Output.table(users.map { [$0.email, $0.isAdmin ? "admin" : "user"] }))
        }
    }

    struct Create: TableCommand {
        static let configuration = CommandConfiguration(commandName: "users:create", abstract: "Create a user (admins only).")
        @Argument var email: String
        @Flag(help: "Make the user an admin.") var admin = false

        func execute(in context: CommandContext) async throws {
            let user = try context.platform.createUser(email: email, admin: admin, as: context.principal)
            context.say("Created \(user.isAdmin ? "admin" : "user") \(user.email)")
        }
    }

    struct Destroy: TableCommand {
        static let configuration = CommandConfiguration(commandName: "users:destroy", abstract: "Delete a user (admins only).")
        @Argument var email: String

        func execute(in context: CommandContext) async throws {
            let user = try context.platform.destroyUser(email: email, as: context.principal)
            context.say("Destroyed user \(user.email)")
        }
    }

    struct Passwd: TableCommand {
        static let configuration = CommandConfiguration(
            commandName: "users:passwd", abstract: "Set a user's API login password, read from stdin.")
        @Argument var email: String

        func execute(in context: CommandContext) async throws {
            let input = String(decoding: await context.io.readAll(), as: UTF8.self)
            let password = input.split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
            try context.platform.setPassword(email: email, password: password, as: context.principal)
            context.say("Password set for \(email.lowercased())")
        }
    }
}
