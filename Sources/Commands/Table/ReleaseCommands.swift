import ArgumentParser
import Foundation
import OpenrukoCore
import Operations

/// `releases`, `releases:info`, `rollback`.
enum ReleaseCommands {
    static let all: [any TableCommand.Type] = [List.self, Info.self, Rollback.self]

    struct List: TableCommand {
        static let configuration = CommandConfiguration(commandName: "releases", abstract: "List an app's releases, newest first.")
        @Argument var name: String?
        @OptionGroup var appOption: AppOption
        @Option(name: .shortAndLong, help: "How many to show.") var num: Int = 15
        @OptionGroup var format: JSONFlag

        func execute(in context: CommandContext) async throws {
            let (app, releases) = try context.platform.releases(try appOption.resolve(name), as: context.principal)
            let shown = Array(releases.reversed().prefix(max(0, num)))
            if format.json { return context.io.write(Output.json(shown)) }
            let current = releases.last { $0.isCurrent }.map { " - Current: v\($0.version)" } ?? ""
            context.io.write(Output.header("\(app.name) Releases\(current)"))
            context.io.write(Output.table(shown.map { release in
                let status = release.status == .succeeded ? "" : " (\(release.status.rawValue))"
                return ["v\(release.version)", release.description + status, release.userEmail, UTCCalendar.display(release.createdAt)]
            }))
        }
    }

    struct Info: TableCommand {
        static let configuration = CommandConfiguration(
            commandName: "releases:info", abstract: "Show one release (default: the current one).")
        @Argument var words: [String] = []
        @OptionGroup var appOption: AppOption
        @OptionGroup var format: JSONFlag

        func execute(in context: CommandContext) async throws {
            var words = words
            let name = try appOption.resolve(&words)
            guard words.count <= 1 else { throw OpenrukoError(.invalid, "Usage: releases:info APP [vN]") }
            let platform = context.platform
            let release: Release
            if let version = words.first {
                release = try platform.release(name, version, as: context.principal).1
            } else {
                let (_, releases) = try platform.releases(name, as: context.principal)
                guard let current = releases.last(where: \.isCurrent) ?? releases.last else {
                    throw OpenrukoError(.notFound, "No releases found.", resource: "release")
                }
                release = current
            }
            if format.json { return context.io.write(Output.json(release)) }
            context.io.write(Output.header("Release v\(release.version)"))
            context.io.write(Output.fields([
                ("By", release.userEmail), ("Change", release.description), ("Status", release.status.rawValue),
                ("When", UTCCalendar.display(release.createdAt)),
            ]))
            context.say()
            context.io.write(Output.header("v\(release.version) Config vars"))
            context.io.write(Output.config(release.config))
        }
    }

    struct Rollback: TableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rollback", abstract: "Release an earlier release's slug and config again.")
        @Argument var words: [String] = []
        @OptionGroup var appOption: AppOption

        func execute(in context: CommandContext) async throws {
            var words = words
            let name = try appOption.resolve(&words)
            guard words.count <= 1 else { throw OpenrukoError(.invalid, "Usage: rollback APP [vN]") }
            var version: Int?
            if let word = words.first {
                guard let number = Int(word.hasPrefix("v") ? String(word.dropFirst()) : word), number > 0 else {
                    throw OpenrukoError(.invalid, "\(word.debugDescription) is not a release version; use vN.", resource: "release")
                }
                version = number
            }
            let io = context.io
            let release = try await context.platform.rollback(name, to: version, as: context.principal) { io.write($0 + "\n") }
            context.say("Rolling back \(name)... \(ConfigCommands.outcome(release)) (\(release.description))")
            if release.status == .failed { throw ConfigCommands.releaseFailed(release) }
        }
    }
}
