import ArgumentParser
import Foundation
import OpenrukoCore
import Operations

/// `pg:info`, `pg:psql` (`PgPsqlCommand`), `pg:backups`, `pg:backups:capture`, `pg:backups:restore`, `pg:credentials:rotate`,
/// and the schedules and downloads of `PgBackupCommands`
/// (PostgreSQL add-ons, issue 19). A database is named by its attachment (`DATABASE`,
/// `HEROKU_POSTGRESQL_RED`) or add-on name; the default is the app's `DATABASE`.
enum PgCommands {
    static let all: [any TableCommand.Type] =
        [Info.self, PgPsqlCommand.self, Backups.self, Capture.self, Restore.self, Rotate.self] + PgBackupCommands.all

    struct Info: TableCommand {
        static let configuration = CommandConfiguration(commandName: "pg:info", abstract: "Show an app's databases.")
        @Argument var name: String?
        @OptionGroup var appOption: AppOption

        func execute(in context: CommandContext) async throws {
            let infos = try await context.platform.databaseInfo(try appOption.resolve(name), as: context.principal)
            guard !infos.isEmpty else { return context.say("No databases.") }
            for (addon, info) in infos {
                let plan = AddonCatalog.postgres.plans.first { $0.name == addon.plan }
                context.io.write(Output.header(addon.configVars.joined(separator: ", ")))
                context.io.write(
                    Output.fields([
                        ("Plan", addon.plan), ("Status", "Available"),
                        ("Connections", "\(info.connections)/\(plan?.connectionLimit ?? 0)"), ("PG Version", info.version),
                        ("Created", UTCCalendar.iso8601(addon.createdAt)), ("Data Size", Output.size(info.sizeBytes)),
                        ("Tables", String(info.tables)), ("Add-on", addon.name),
                    ]))
                context.say()
            }
        }
    }

    struct Backups: TableCommand {
        static let configuration = CommandConfiguration(commandName: "pg:backups", abstract: "List an app's database backups.")
        @Argument var name: String?
        @OptionGroup var appOption: AppOption

        func execute(in context: CommandContext) async throws {
            let app = try appOption.resolve(name)
            let backups = try context.platform.backups(app, as: context.principal)
            context.io.write(Output.header("Backups"))
            guard !backups.isEmpty else { return context.say("No backups. Capture one with pg:backups:capture \(app)") }
            context.io.write(
                Output.table([["ID", "Created at", "Size", "Database", "Type"]]
                    + backups.map {
                        [$0.id, UTCCalendar.iso8601($0.createdAt), Output.size($0.sizeBytes), $0.addonName, $0.isScheduled ? "Scheduled" : "Manual"]
                    }))
        }
    }

    struct Capture: TableCommand {
        static let configuration = CommandConfiguration(commandName: "pg:backups:capture", abstract: "Back up a database (pg_dump).")
        @Argument var words: [String] = []
        @OptionGroup var appOption: AppOption

        func execute(in context: CommandContext) async throws {
            var words = words
            let app = try appOption.resolve(&words)
            guard words.count <= 1 else { throw OpenrukoError(.invalid, "Usage: pg:backups:capture APP [DATABASE]") }
            let backup = try await context.platform.captureBackup(app, words.first, as: context.principal)
            context.say("Backing up \(backup.addonName) to \(backup.id)... done (\(Output.size(backup.sizeBytes)))")
        }
    }

    struct Restore: TableCommand {
        static let configuration = CommandConfiguration(
            commandName: "pg:backups:restore", abstract: "Replace a database's contents with one of its backups.")
        @Argument var words: [String] = []
        @OptionGroup var appOption: AppOption
        @Option(name: .long, help: "The app's name, to confirm.") var confirm: String?

        func execute(in context: CommandContext) async throws {
            var words = words
            let app = try appOption.resolve(&words)
            guard words.count <= 2 else { throw OpenrukoError(.invalid, "Usage: pg:backups:restore APP [BACKUP] [DATABASE] --confirm APP") }
            let id = words.first { DatabaseBackup.isID($0) || $0.contains("::") }  // b001, or OTHER_APP::b001
            let which = words.first { $0 != id }
            let (addon, backup) = try await context.platform.restoreBackup(app, backup: id, into: which, confirm: confirm, as: context.principal)
            context.say("Restoring \(backup.id) to \(addon.attachmentName)... done")
        }
    }

    struct Rotate: TableCommand {
        static let configuration = CommandConfiguration(
            commandName: "pg:credentials:rotate", abstract: "Give a database a new password and restart the app with it.")
        @Argument var words: [String] = []
        @OptionGroup var appOption: AppOption
        @Option(name: .long, help: "The app's name, to confirm.") var confirm: String?

        func execute(in context: CommandContext) async throws {
            var words = words
            let app = try appOption.resolve(&words)
            guard words.count <= 1 else { throw OpenrukoError(.invalid, "Usage: pg:credentials:rotate APP [DATABASE] --confirm APP") }
            let io = context.io
            let (addon, release) = try await context.platform.rotateCredentials(
                app, words.first, confirm: confirm, as: context.principal) { io.write($0 + "\n") }
            context.say("Rotating credentials of \(addon.attachmentName) on ⬢ \(app)... done, v\(release.version)")
        }
    }
}
