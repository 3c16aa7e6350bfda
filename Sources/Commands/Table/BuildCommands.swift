import ArgumentParser
import Foundation
import OpenrukoCore
import Operations

/// `builds`, `builds:output`, `buildpacks`, `buildpacks:set`.
enum BuildCommands {
    static let all: [any TableCommand.Type] = [List.self, Output.self, Buildpacks.self, SetBuildpacks.self]

    struct List: TableCommand {
        static let configuration = CommandConfiguration(commandName: "builds", abstract: "List an app's builds, newest first.")
        @Argument var name: String?
        @OptionGroup var appOption: AppOption
        @OptionGroup var format: JSONFlag

        func execute(in context: CommandContext) async throws {
            let (app, builds) = try context.platform.builds(try appOption.resolve(name), as: context.principal)
            let newest = Array(builds.reversed())
            if format.json { return context.io.write(Commands.Output.json(newest)) }
            context.io.write(Commands.Output.header("\(app.name) Builds"))
            context.io.write(Commands.Output.table(newest.map { build in
                [build.id.uuidString.lowercased(), build.status.rawValue, build.commit.map { String($0.prefix(7)) } ?? "-",
                 build.userEmail, UTCCalendar.display(build.createdAt)]
            }))
        }
    }

    struct Output: TableCommand {
        static let configuration = CommandConfiguration(
            commandName: "builds:output", abstract: "Print a build's output (default: the latest build).")
        @Argument var words: [String] = []
        @OptionGroup var appOption: AppOption

        func execute(in context: CommandContext) async throws {
            var words = words
            let name = try appOption.resolve(&words)
            guard words.count <= 1 else { throw OpenrukoError(.invalid, "Usage: builds:output APP [BUILD]") }
            let (_, output) = try context.platform.buildOutput(name, build: words.first, as: context.principal)
            context.io.write(output.hasSuffix("\n") || output.isEmpty ? output : output + "\n")
        }
    }

    struct Buildpacks: TableCommand {
        static let configuration = CommandConfiguration(commandName: "buildpacks", abstract: "List an app's buildpacks.")
        @Argument var name: String?
        @OptionGroup var appOption: AppOption
        @OptionGroup var format: JSONFlag

        func execute(in context: CommandContext) async throws {
            let (app, urls) = try context.platform.buildpacks(try appOption.resolve(name), as: context.principal)
            if format.json { return context.io.write(Commands.Output.json(urls)) }
            if urls.isEmpty { return context.say("\(app.name) has no buildpack set; they are detected on each push.") }
            context.io.write(Commands.Output.header("\(app.name) Buildpack URL\(urls.count == 1 ? "" : "s")"))
            for (index, url) in urls.enumerated() { context.say(urls.count == 1 ? url : "\(index + 1). \(url)") }
        }
    }

    struct SetBuildpacks: TableCommand {
        static let configuration = CommandConfiguration(
            commandName: "buildpacks:set", abstract: "Set an app's buildpacks, in order (none: detect).")
        @Argument var words: [String] = []
        @OptionGroup var appOption: AppOption

        func execute(in context: CommandContext) async throws {
            var words = words
            let name = try appOption.resolve(&words)
            let urls = try context.platform.setBuildpacks(name, words, as: context.principal)
            if urls.isEmpty { return context.say("Buildpacks cleared. Next release on \(name) will detect its buildpack.") }
            context.say("Buildpack\(urls.count == 1 ? "" : "s") set. Next release on \(name) will use \(urls.joined(separator: ", ")).")
        }
    }
}
