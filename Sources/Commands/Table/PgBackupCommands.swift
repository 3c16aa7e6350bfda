import ArgumentParser
import Foundation
import OpenrukoCore
import Operations

/// `pg:backups:schedule`, `pg:backups:schedules`, `pg:backups:unschedule` (daily backups,
/// `a001`…, the last 7 kept), and `pg:backups:download` (`PgDownloadCommand`), issue 19.
enum PgBackupCommands {
    static let all: [any TableCommand.Type] = [Schedule.self, Schedules.self, Unschedule.self, PgDownloadCommand.self]

    struct Schedule: TableCommand {
        static let configuration = CommandConfiguration(
            commandName: "pg:backups:schedule", abstract: "Back up a database every day at an hour (the last 7 are kept).")
        @Argument var words: [String] = []
        @OptionGroup var appOption: AppOption
        @Option(name: .long, help: "'HH:00 TIME_ZONE', e.g. '02:00 America/New_York' (the zone defaults to UTC).") var at: String?

        func execute(in context: CommandContext) async throws {
            var words = words
            let app = try appOption.resolve(&words)
            guard words.count <= 1 else { throw OpenrukoError(.invalid, "Usage: pg:backups:schedule APP [DATABASE] --at '02:00 America/New_York'") }
            let schedule = try context.platform.scheduleBackups(app, words.first, at: at, as: context.principal)
            context.say("Scheduling automatic daily backups of \(schedule.addonName) at \(schedule.at.text)... done")
        }
    }

    struct Schedules: TableCommand {
        static let configuration = CommandConfiguration(commandName: "pg:backups:schedules", abstract: "List an app's backup schedules.")
        @Argument var name: String?
        @OptionGroup var appOption: AppOption

        func execute(in context: CommandContext) async throws {
            let app = try appOption.resolve(name)
            let schedules = try context.platform.backupSchedules(app, as: context.principal)
            guard !schedules.isEmpty else {
                return context.say("No backup schedules found on \(app). Use pg:backups:schedule \(app) --at '02:00 UTC' to set one up.")
            }
            context.io.write(Output.header("Backup Schedules"))
            for schedule in schedules { context.say("\(schedule.attachmentName)_URL: daily at \(schedule.at.text) (\(schedule.addonName))") }
        }
    }

    struct Unschedule: TableCommand {
        static let configuration = CommandConfiguration(
            commandName: "pg:backups:unschedule", abstract: "Stop a database's daily backups (its backups stay).")
        @Argument var words: [String] = []
        @OptionGroup var appOption: AppOption

        func execute(in context: CommandContext) async throws {
            var words = words
            let app = try appOption.resolve(&words)
            guard words.count <= 1 else { throw OpenrukoError(.invalid, "Usage: pg:backups:unschedule APP [DATABASE]") }
            let schedule = try context.platform.unscheduleBackups(app, words.first, as: context.principal)
            context.say("Stopping automatic backup schedule for \(schedule.attachmentName)_URL... done")
        }
    }
}
