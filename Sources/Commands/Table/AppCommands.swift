import ArgumentParser
import Foundation
import OpenrukoCore
import Operations

/// `apps`, `apps:create`, `apps:info`, `apps:destroy`.
enum AppCommands {
    static let all: [any TableCommand.Type] = [List.self, Create.self, Info.self, Destroy.self, ContainerBuilds.self]

    struct ContainerBuilds: TableCommand {
        static let configuration = CommandConfiguration(
            commandName: "apps:container-builds",
            abstract: "Allow (on) or forbid (off) an app's Dockerfile builds; admins only: RUN steps are root on the host.")
        @Argument var name: String
        @Argument var setting: String

        func execute(in context: CommandContext) async throws {
            guard ["on", "off"].contains(setting) else {
                throw OpenrukoError(.invalid, "Say on or off, not \(setting.debugDescription): apps:container-builds APP on|off")
            }
            let app = try context.platform.setContainerBuilds(name, setting == "on", as: context.principal)
            context.say("Container builds of \(app.name): \(app.containerBuilds ? "on" : "off")")
        }
    }

    struct List: TableCommand {
        static let configuration = CommandConfiguration(commandName: "apps", abstract: "List the apps you can act on.")
        @OptionGroup var format: JSONFlag

        func execute(in context: CommandContext) async throws {
            let apps = try context.platform.apps(as: context.principal)
            if format.json { return context.io.write(Output.json(apps)) }
            context.io.write(Output.header("Apps"))
            if apps.isEmpty { return context.say("You have no apps.") }
            context.io.write(Output.table(apps.map { [$0.name, $0.ownerEmail] }))
        }
    }

    struct Create: TableCommand {
        static let configuration = CommandConfiguration(
            commandName: "apps:create", abstract: "Create an app (a random name if none is given).")
        @Argument var name: String?
        @Option(name: .customLong("user"), help: "Owner (admins only; default: you).") var user: String?
        @OptionGroup var format: JSONFlag

        func execute(in context: CommandContext) async throws {
            let app = try context.platform.createApp(name: name, owner: user, as: context.principal)
            if format.json { return context.io.write(Output.json(app)) }
            let urls = context.platform.urls
            context.say("Creating \(app.name)... done")
            context.say("\(urls.webURL(app.name)) | \(urls.gitURL(app.name))")
        }
    }

    struct Info: TableCommand {
        static let configuration = CommandConfiguration(commandName: "apps:info", abstract: "Show an app's details.")
        @Argument var name: String?
        @OptionGroup var appOption: AppOption
        @OptionGroup var format: JSONFlag

        func execute(in context: CommandContext) async throws {
            let platform = context.platform
            let overview = try platform.overview(try appOption.resolve(name), as: context.principal)
            let (app, current, slug) = (overview.app, overview.current, overview.slug)
            let (formation, collaborators) = (overview.formation, overview.collaborators)
            if format.json {
                struct Info: Encodable {
                    var app: App
                    var gitURL, webURL: String
                    var release: Int?
                    var slugSize, repoSize: Int64?
                    var formation: [FormationEntry]
                    var collaborators: [String]
                }
                return context.io.write(Output.json(Info(
                    app: app, gitURL: platform.urls.gitURL(app.name), webURL: platform.urls.webURL(app.name),
                    release: current?.version, slugSize: slug?.size, repoSize: platform.repositories.size(app: app.name),
                    formation: formation, collaborators: collaborators.map(\.email))))
            }
            context.io.write(Output.header(app.name))
            var fields: [(String, String)] = []
            fields.append(("Container Builds", app.containerBuilds ? "on" : "off (an admin may allow them)"))
            if !collaborators.isEmpty { fields.append(("Collaborators", collaborators.map(\.email).joined(separator: ", "))) }
            fields.append(("Dynos", formation.map { "\($0.type): \($0.quantity)" }.joined(separator: ", ")))
            fields.append(("Git URL", platform.urls.gitURL(app.name)))
            fields.append(("Owner", app.ownerEmail))
            fields.append(("Release", current.map { "v\($0.version)" } ?? "none"))
            if let size = platform.repositories.size(app: app.name) { fields.append(("Repo Size", Output.size(size))) }
            if let slug { fields.append(("Slug Size", Output.size(slug.size))) }
            fields.append(("Stack", app.stack))
            fields.append(("Web URL", platform.urls.webURL(app.name)))
            context.io.write(Output.fields(fields))
        }
    }

    struct Destroy: TableCommand {
        static let configuration = CommandConfiguration(
            commandName: "apps:destroy", abstract: "Destroy an app and all its data (needs --confirm APP).")
        @Argument var name: String?
        @OptionGroup var appOption: AppOption
        @Option(help: "The app's name again, to confirm.") var confirm: String?

        func execute(in context: CommandContext) async throws {
            let app = try await context.platform.destroyApp(try appOption.resolve(name), confirm: confirm, as: context.principal)
            context.say("Destroying \(app.name) (including all add-ons)... done")
        }
    }
}
