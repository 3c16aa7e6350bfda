import ArgumentParser
import Foundation
import OpenrukoCore
import Operations

/// `pg:backups:download APP [BACKUP] [DATABASE]`: the backup's bytes (a `pg_dump -Fc` file,
/// the newest by default) on stdout, streamed with the reader's backpressure, for
/// `ssh git@HOST pg:backups:download APP > latest.dump` (issue 19).
struct PgDownloadCommand: TableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pg:backups:download",
        abstract: "Write a backup (pg_dump custom format, the newest by default) to stdout: ssh … pg:backups:download APP > latest.dump")
    @Argument var words: [String] = []
    @OptionGroup var appOption: AppOption

    func execute(in context: CommandContext) async throws {
        var words = words
        let app = try appOption.resolve(&words)
        guard words.count <= 2 else { throw OpenrukoError(.invalid, "Usage: pg:backups:download APP [BACKUP] [DATABASE] > latest.dump") }
        // A terminal (ssh -t) would mangle the bytes (and flood the screen).
        guard context.terminal == nil else {
            throw OpenrukoError(
                .invalid, "pg:backups:download writes the dump to standard output: run it without -t and redirect it, "
                    + "e.g. ssh git@HOST pg:backups:download \(app) > latest.dump")
        }
        // A backup id, or what looks like one (a letter and a digit first) to be refused as malformed.
        let id = words.first { DatabaseBackup.isID($0) } ?? words.first { "abAB".contains($0.prefix(1)) && $0.dropFirst().first?.isNumber == true }
        let which = words.first { $0 != id }
        let io = context.io
        _ = try await context.platform.sendBackup(app, backup: id, of: which, as: context.principal) { try await io.send($0) }
    }
}
