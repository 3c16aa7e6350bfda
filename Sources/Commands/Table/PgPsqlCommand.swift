import ArgumentParser
import Foundation
import OpenrukoCore
import Operations

/// `pg:psql APP [DATABASE] [-c SQL]`: `psql` on one of the app's databases, run in a one-off
/// dyno of the app (attached like `run`, with a PTY under `ssh -t`), so the database is
/// reached from the app's own sandbox and network, never from the host. The URL never
/// appears in a command line the host sees: the dyno's shell reads it from its config var.
struct PgPsqlCommand: TableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pg:psql", abstract: "Open psql on an app's database in a one-off dyno: pg:psql APP [DATABASE] [-c SQL]")
    @Argument var words: [String] = []
    @OptionGroup var appOption: AppOption
    @Option(name: [.customShort("c"), .customLong("command")], help: "SQL to run instead of an interactive session.") var sql: String?

    func execute(in context: CommandContext) async throws {
        var words = words
        let app = try appOption.resolve(&words)
        guard words.count <= 1 else { throw OpenrukoError(.invalid, "Usage: pg:psql APP [DATABASE] [-c SQL]") }
        let variable = try context.platform.databaseURLVariable(app, words.first, as: context.principal)
        let attachment = DynoAttachment(window: context.terminal)
        let request = OneOffRequest(command: Self.command(variable: variable, sql: sql), size: nil, type: nil, env: [:], attach: true)
        _ = try await context.platform.runDyno(app, request, attachment: attachment, as: context.principal)
        guard attachment.connect() else { throw OpenrukoError(.unavailable, "The one-off dyno could not be attached.") }
        let status = await withTaskCancellationHandler {
            await RunCommands.Run.pump(attachment, io: context.io)
        } onCancel: {
            attachment.hangUp()
        }
        if status != 0 { throw CommandExit(status: status) }
    }

    /// The dyno's command: psql on the URL in `variable` (a config var name the platform
    /// chose: capitals, digits, `_`), with `sql` as one single-quoted shell word.
    static func command(variable: String, sql: String?) -> String {
        let missing = "psql is not installed on this app's stack"
        var command = "command -v psql >/dev/null || { echo \(ShellWord.quoted(missing)) >&2; exit 127; }; exec psql \"$\(variable)\""
        if let sql { command += " -c " + ShellWord.quoted(sql) }
        return command
    }
}
