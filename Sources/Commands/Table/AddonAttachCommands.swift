import ArgumentParser
import Foundation
import OpenrukoCore
import Operations

/// `addons:attach ADDON --app APP [--as NAME]` and `addons:detach ATTACHMENT --app APP`:
/// one add-on shared between apps (issue 19).
enum AddonAttachCommands {
    static let all: [any TableCommand.Type] = [Attach.self, Detach.self]

    struct Attach: TableCommand {
        static let configuration = CommandConfiguration(
            commandName: "addons:attach", abstract: "Attach an add-on of one of your apps to another (its URL in NAME_URL).")
        @Argument var addon: String
        @OptionGroup var appOption: AppOption
        @Option(name: .customLong("as"), help: "The attachment's name (its config var is NAME_URL).") var attachment: String?

        func execute(in context: CommandContext) async throws {
            let app = try appOption.resolve(nil)
            let io = context.io
            io.write("Attaching \(addon.prefix(64)) to ⬢ \(app)... ")
            let (attached, release) = try await context.platform.attachAddon(addon, to: app, as: attachment, by: context.principal) {
                io.write($0 + "\n")
            }
            context.say("done, v\(release.version)")
            context.say("Attached \(attached.addonName) as \(attached.configVars.joined(separator: ", "))")
        }
    }

    struct Detach: TableCommand {
        static let configuration = CommandConfiguration(
            commandName: "addons:detach", abstract: "Detach an add-on shared with an app (its config vars go).")
        @Argument var attachment: String
        @OptionGroup var appOption: AppOption

        func execute(in context: CommandContext) async throws {
            let app = try appOption.resolve(nil)
            let io = context.io
            let (detached, release) = try await context.platform.detachAddon(attachment, from: app, by: context.principal) { io.write($0 + "\n") }
            context.say("Detaching \(detached.name) (\(detached.addonName)) from ⬢ \(app)... done, v\(release.version)")
        }
    }
}
