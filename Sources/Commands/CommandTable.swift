import ArgumentParser
import Foundation
import OpenrukoCore

/// The command dispatcher shared by SSH, OpenSSH mode and `openruko admin`: maps the first
/// word to a command, parses the rest with ArgumentParser, runs it, and turns every
/// refusal into ` !     message` on stderr with exit status 1.
///
/// ```swift
/// let status = await CommandTable.standard.run(["apps:create", "web1"], in: context)
/// ```
package struct CommandTable: Sendable {
    /// Commands by name.
    package let commands: [String: any TableCommand.Type]

    package init(_ commands: [any TableCommand.Type]) {
        self.commands = Dictionary(commands.map { ($0.configuration.commandName ?? "\($0)", $0) }, uniquingKeysWith: { _, b in b })
    }

    /// The production table (DESIGN.md §2.3).
    package static let standard = CommandTable(standardCommands)

    /// The production commands, for tables that add to them (tests add `cat`).
    package static let standardCommands: [any TableCommand.Type] =
        MetaCommands.all + AppCommands.all + UserCommands.all + KeyCommands.all + AccessCommands.all + ConfigCommands.all
        + ReleaseCommands.all + PsCommands.all + LogCommands.all + BuildCommands.all + DomainCommands.all + CertCommands.all
        + AutoCertCommands.all + DiskCommands.all + RunCommands.all + AddonCommands.all + AddonAttachCommands.all + PgCommands.all + StackCommands.all

    /// A copy with more commands.
    package func adding(_ more: [any TableCommand.Type]) -> CommandTable {
        CommandTable(Array(commands.values) + more)
    }

    /// Whether `name` is a command of this table.
    package func contains(_ name: String) -> Bool { commands[name] != nil }

    /// Runs one command line (`["config:set", "web1", "A=1"]`).
    /// - Returns: the exit status: 0 on success, 1 on any refusal.
    package func run(_ words: [String], in context: CommandContext) async -> Int32 {
        guard let name = words.first else {
            return await run(["help"], in: context)
        }
        guard let type = commands[name] else {
            context.io.writeError(" !     '\(name)' is not an openruko command. See 'help'.\n")
            return 1
        }
        let arguments = Array(words.dropFirst())
        let parsed: any TableCommand
        do {
            guard let command = try type.parseAsRoot(arguments) as? any TableCommand else { return 1 }
            parsed = command
        } catch {
            if type.exitCode(for: error) == .success {
                context.io.write(type.fullMessage(for: error) + "\n")
                return 0
            }
            context.io.writeError(" !     \(type.message(for: error))\n !     Usage: \(type.usageString(for: error))\n")
            return 1
        }
        do {
            try await parsed.execute(in: context)
            return 0
        } catch let exit as CommandExit {
            return exit.status
        } catch let error as OpenrukoError {
            context.io.writeError(" !     \(error.message)\n")
            return 1
        } catch is CancellationError {
            return 130
        } catch {
            context.io.writeError(" !     \(error)\n")
            return 1
        }
    }
}

extension TableCommand {
    /// The one-line usage of this command, for error messages.
    static func usageString(for error: any Error) -> String {
        let usage = usageString()
        return usage.replacingOccurrences(of: "\n", with: " ")
    }
}

/// Ends a command with an exit status of its own, without a message (`run` passes on the
/// one-off process's status).
package struct CommandExit: Error, Sendable, Hashable {
    package var status: Int32

    package init(status: Int32) { self.status = status }
}
