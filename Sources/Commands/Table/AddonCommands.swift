import ArgumentParser
import Foundation
import OpenrukoCore
import Operations

/// `addons`, `addons:create`, `addons:info`, `addons:destroy` (PostgreSQL and Redis add-ons, issue 19).
enum AddonCommands {
    static let all: [any TableCommand.Type] = [List.self, Create.self, Info.self, Destroy.self]

    /// What `--json` shows of an add-on (never its credentials).
    struct Summary: Encodable {
        var id: UUID
        var name: String
        var app: String
        var service: String
        var plan: String
        var attachmentName: String
        var configVars: [String]
        var state = "provisioned"
        var createdAt: Date

        init(_ addon: Addon) {
            id = addon.id
            name = addon.name
            app = addon.appName
            service = addon.service
            plan = "\(addon.service):\(addon.plan)"
            attachmentName = addon.attachmentName
            configVars = addon.configVars
            createdAt = addon.createdAt
        }

        /// A shared add-on as the app it is attached to sees it: that attachment's name and
        /// config vars (`app` stays the owner).
        init(_ addon: Addon, attachedAs attachment: AddonAttachment) {
            self.init(addon)
            attachmentName = attachment.name
            configVars = attachment.configVars
            state = "attached"
        }
    }

    struct List: TableCommand {
        static let configuration = CommandConfiguration(commandName: "addons", abstract: "List add-ons (of an app, or of all yours).")
        @Argument var name: String?
        @OptionGroup var appOption: AppOption
        @OptionGroup var format: JSONFlag

        func execute(in context: CommandContext) async throws {
            let app = name ?? appOption.app
            let addons = try context.platform.addons(app, as: context.principal)
            // Add-ons of other apps shared with this one, as Heroku lists them ("attached").
            let shared = try app.map { name throws(OpenrukoError) in try context.platform.sharedAddons(name, as: context.principal) } ?? []
            if format.json {
                return context.io.write(Output.json(addons.map(Summary.init) + shared.map { Summary($0.0, attachedAs: $0.1) }))
            }
            guard !addons.isEmpty || !shared.isEmpty else { return context.say(app.map { "No add-ons for app \($0)." } ?? "No add-ons.") }
            let rows = addons.map { ["\($0.service) (\($0.name))", $0.plan, $0.appName + "::" + $0.attachmentName, "created"] }
                + shared.map { addon, attachment in
                    ["\(addon.service) (\(addon.name))", addon.plan, attachment.appName + "::" + attachment.name, "attached (of \(addon.appName))"]
                }
            context.io.write(Output.table([["Add-on", "Plan", "Attachment", "State"]] + rows))
        }
    }

    struct Create: TableCommand {
        static let configuration = CommandConfiguration(
            commandName: "addons:create", abstract: "Provision an add-on (heroku-postgresql[:PLAN], heroku-redis[:PLAN]) and attach it to an app.")
        @Argument var words: [String] = []
        @OptionGroup var appOption: AppOption
        @Option(name: .customLong("as"), help: "The attachment's name (its config var is NAME_URL).") var attachment: String?

        func execute(in context: CommandContext) async throws {
            var words = words
            let name = try appOption.resolve(&words)
            guard words.count == 1 else { throw OpenrukoError(.invalid, "Usage: addons:create APP SERVICE[:PLAN] [--as NAME]") }
            let (_, plan) = try AddonCatalog.resolve(words[0])
            context.io.write("Creating \(plan.fullName) on ⬢ \(name)... ")
            let io = context.io
            let (addon, release) = try await context.platform.createAddon(
                name, service: words[0], as: attachment, by: context.principal) { io.write($0 + "\n") }
            context.say("done, v\(release.version)")
            context.say("Created \(addon.name) as \(addon.configVars.joined(separator: ", "))")
            context.say("Use addons:info \(addon.name) to see it.")
            if release.status == .failed {
                throw OpenrukoError(.invalid, "Release v\(release.version) failed: its release command did not succeed; the previous release keeps running.")
            }
        }
    }

    struct Info: TableCommand {
        static let configuration = CommandConfiguration(commandName: "addons:info", abstract: "Show an add-on.")
        @Argument var addon: String
        @OptionGroup var appOption: AppOption
        @OptionGroup var format: JSONFlag

        func execute(in context: CommandContext) async throws {
            let addon = try context.platform.addon(addon, app: appOption.app, as: context.principal)
            if format.json { return context.io.write(Output.json(Summary(addon))) }
            let shared = try context.platform.attachments(of: addon).map { $0.appName + "::" + $0.name }
            context.io.write(Output.header(addon.name))
            context.io.write(
                Output.fields([
                    ("Attachments", ([addon.appName + "::" + addon.attachmentName] + shared).joined(separator: ", ")), ("Config vars", addon.configVars.joined(separator: ", ")),
                    ("Installed at", UTCCalendar.iso8601(addon.createdAt)), ("Owning app", addon.appName),
                    ("Plan", "\(addon.service):\(addon.plan)"), ("State", "created"),
                ]))
        }
    }

    struct Destroy: TableCommand {
        static let configuration = CommandConfiguration(
            commandName: "addons:destroy", abstract: "Destroy an add-on (after a final backup) and remove its config vars.")
        @Argument var addon: String
        @OptionGroup var appOption: AppOption
        @Option(name: .long, help: "The add-on's app name, to confirm.") var confirm: String?

        func execute(in context: CommandContext) async throws {
            let io = context.io
            let (addon, release, backup) = try await context.platform.destroyAddon(
                addon, app: appOption.app, confirm: confirm, as: context.principal) { io.write($0 + "\n") }
            context.say("Destroying \(addon.name) on ⬢ \(addon.appName)... done, v\(release.version)")
            context.say("A final backup is kept (\((backup as NSString).lastPathComponent)).")
        }
    }
}
