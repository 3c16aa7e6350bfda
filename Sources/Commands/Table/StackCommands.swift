import ArgumentParser
import Foundation
import OpenrukoCore
import Operations

/// `stack [APP]`, `stack:set APP NAME` and `stacks:build NAME` (admins only).
enum StackCommands {
    static let all: [any TableCommand.Type] = [List.self, Assign.self, Build.self]

    struct List: TableCommand {
        static let configuration = CommandConfiguration(
            commandName: "stack", abstract: "List the stacks, the app's marked with * (without an app: the default).")
        @Argument var name: String?
        @Option(name: [.customShort("a"), .customLong("app")], help: "The app.") var app: String?
        @OptionGroup var format: JSONFlag

        func execute(in context: CommandContext) async throws {
            let stacks = context.platform.stacks()
            let chosen = try (app ?? name).map { try context.platform.app($0, as: context.principal) }
            if format.json { return context.io.write(Output.json(stacks)) }
            context.io.write(Output.header(chosen.map { "\($0.name) Available Stacks" } ?? "Available Stacks"))
            for stack in stacks {
                let marked = chosen.map { $0.stack == stack.name } ?? stack.isDefault
                let about = stack.release.map { "Debian \($0), \(stack.version ?? "")" } ?? "legacy: the host's /usr"
                context.say("\(marked ? "*" : " ") \(stack.name)  (\(about))")
            }
        }
    }

    struct Assign: TableCommand {
        static let configuration = CommandConfiguration(
            commandName: "stack:set", abstract: "Set the stack of the app's next build.")
        @Argument var first: String
        @Argument var second: String?
        @OptionGroup var appOption: AppOption

        func execute(in context: CommandContext) async throws {
            var words = [first] + (second.map { [$0] } ?? [])
            let name = try appOption.resolve(&words)
            guard words.count == 1, let stack = words.first else {
                throw OpenrukoError(.invalid, "Usage: stack:set APP STACK")
            }
            let app = try context.platform.setBuildStack(name, stack, as: context.principal)
            context.say("Setting stack to \(app.stack)... done")
            context.say("You will need to redeploy \(app.name) for the change to take effect.")
            context.say("Run git push to trigger a new build on \(app.name).")
        }
    }

    struct Build: TableCommand {
        static let configuration = CommandConfiguration(
            commandName: "stacks:build",
            abstract: "Build (or rebuild) a stack's build and run images from Debian's archive (admins only).")
        @Argument var name: String

        func execute(in context: CommandContext) async throws {
            let io = context.io
            let version = try await context.platform.buildStack(name, progress: { io.write($0 + "\n") }, as: context.principal)
            context.say("Stack \(version.name) is ready (Debian \(version.release), version \(version.version)).")
        }
    }
}
