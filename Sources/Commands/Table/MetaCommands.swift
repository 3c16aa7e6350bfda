import ArgumentParser
import OpenrukoCore
import Operations

/// `help`, `version`, `whoami`.
enum MetaCommands {
    static let all: [any TableCommand.Type] = [Help.self, Version.self, Whoami.self]

    /// The version every front end reports.
    static let version = "0.1.0"

    struct Help: TableCommand {
        static let configuration = CommandConfiguration(commandName: "help", abstract: "List the commands, or explain one.")
        @Argument var command: String?

        func execute(in context: CommandContext) async throws {
            let table = CommandTable.standard
            if let command {
                guard let type = table.commands[command] else {
                    throw OpenrukoError(.invalid, "'\(command)' is not an openruko command. See 'help'.")
                }
                context.io.write(type.helpMessage() + "\n")
                return
            }
            context.say("Usage: ssh -p PORT git@HOST COMMAND [ARGS]   (or: openruko admin COMMAND [ARGS])")
            context.say("An app is given as the first argument or with -a APP. Listings accept --json.\n")
            let rows = table.commands.keys.sorted().map { name in [name, table.commands[name]!.configuration.abstract] }
            context.io.write(Output.table(rows))
            context.say("\nRun 'help COMMAND' for a command's arguments.")
        }
    }

    struct Version: TableCommand {
        static let configuration = CommandConfiguration(commandName: "version", abstract: "Print the openruko version.")
        func execute(in context: CommandContext) async throws {
            context.say("openruko \(MetaCommands.version)")
        }
    }

    struct Whoami: TableCommand {
        static let configuration = CommandConfiguration(commandName: "whoami", abstract: "Print who you are acting as.")
        func execute(in context: CommandContext) async throws {
            context.say(context.platform.whoami(context.principal))
        }
    }
}
