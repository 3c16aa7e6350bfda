import ArgumentParser
import Foundation
import OpenrukoCore
import Operations

/// `config`, `config:get`, `config:set`, `config:unset`.
enum ConfigCommands {
    static let all: [any TableCommand.Type] = [List.self, Get.self, SetVars.self, UnsetVars.self]

    struct List: TableCommand {
        static let configuration = CommandConfiguration(commandName: "config", abstract: "Show an app's config vars.")
        @Argument var name: String?
        @OptionGroup var appOption: AppOption
        @OptionGroup var format: JSONFlag

        func execute(in context: CommandContext) async throws {
            let (app, vars) = try context.platform.config(try appOption.resolve(name), as: context.principal)
            if format.json { return context.io.write(Output.json(vars)) }
            context.io.write(Output.header("\(app.name) Config Vars"))
            context.io.write(Output.config(vars))
        }
    }

    struct Get: TableCommand {
        static let configuration = CommandConfiguration(commandName: "config:get", abstract: "Print one config var's value.")
        @Argument var words: [String] = []
        @OptionGroup var appOption: AppOption

        func execute(in context: CommandContext) async throws {
            var words = words
            let name = try appOption.resolve(&words)
            guard words.count == 1 else { throw OpenrukoError(.invalid, "Usage: config:get APP KEY") }
            let (_, vars) = try context.platform.config(name, as: context.principal)
            context.say(vars[words[0]] ?? "")
        }
    }

    struct SetVars: TableCommand {
        static let configuration = CommandConfiguration(
            commandName: "config:set", abstract: "Set config vars (KEY=value…) and release.")
        @Argument var words: [String] = []
        @OptionGroup var appOption: AppOption

        func execute(in context: CommandContext) async throws {
            var words = words
            let name = try appOption.resolve(&words)
            var values: [String: String] = [:]
            for word in words {
                guard let equals = word.firstIndex(of: "=") else {
                    throw OpenrukoError(.invalid, "\(word.debugDescription) is invalid. Use KEY=value.", resource: "config_var")
                }
                values[String(word[..<equals])] = String(word[word.index(after: equals)...])
            }
            let keys = values.keys.sorted()
            guard !keys.isEmpty else { throw OpenrukoError(.invalid, "Give at least one KEY=value.", resource: "config_var") }
            try ConfigCommands.validate(keys)
            let io = context.io
            let release = try await context.platform.updateConfig(name, set: values, unset: [], as: context.principal) {
                io.write($0 + "\n")
            }
            context.say("Setting \(keys.joined(separator: ", ")) and restarting \(name)... \(ConfigCommands.outcome(release))")
            context.io.write(Output.config(values))
            if let release, release.status == .failed { throw ConfigCommands.releaseFailed(release) }
        }
    }

    struct UnsetVars: TableCommand {
        static let configuration = CommandConfiguration(commandName: "config:unset", abstract: "Remove config vars and release.")
        @Argument var words: [String] = []
        @OptionGroup var appOption: AppOption

        func execute(in context: CommandContext) async throws {
            var words = words
            let name = try appOption.resolve(&words)
            guard !words.isEmpty else { throw OpenrukoError(.invalid, "Give at least one KEY to unset.", resource: "config_var") }
            try ConfigCommands.validate(words)
            let io = context.io
            let release = try await context.platform.updateConfig(name, set: [:], unset: words, as: context.principal) {
                io.write($0 + "\n")
            }
            context.say("Unsetting \(words.joined(separator: ", ")) and restarting \(name)... \(ConfigCommands.outcome(release))")
            if let release, release.status == .failed { throw ConfigCommands.releaseFailed(release) }
        }
    }

    static func validate(_ keys: [String]) throws(OpenrukoError) {
        for key in keys { try ConfigKey.validate(key) }
    }

    /// The end of the "Setting … and restarting APP..." line: the new release, or that nothing
    /// changed (the same values: no release, nothing restarts — as over the API).
    static func outcome(_ release: Release?) -> String {
        guard let release else { return "done, no change (no new release)" }
        return release.status == .failed ? "failed, v\(release.version)" : "done, v\(release.version)"
    }

    static func releaseFailed(_ release: Release) -> OpenrukoError {
        OpenrukoError(.invalid, "Release v\(release.version) failed: its release command did not succeed; the previous release keeps running.")
    }
}
