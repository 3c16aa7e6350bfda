import ArgumentParser
import Foundation
import OpenrukoCore
import Operations

/// `certs:auto`, `certs:auto:enable`, `certs:auto:disable`: certificates ordered and renewed
/// automatically through ACME for an app's custom domains (Heroku's ACM).
enum AutoCertCommands {
    static let all: [any TableCommand.Type] = [Status.self, Enable.self, Disable.self]

    struct Status: TableCommand {
        static let configuration = CommandConfiguration(
            commandName: "certs:auto", abstract: "Show where the automatic certificates of an app's custom domains stand.")
        @Argument var name: String?
        @OptionGroup var appOption: AppOption
        @OptionGroup var format: JSONFlag

        func execute(in context: CommandContext) async throws {
            let (app, enabled, domains) = try context.platform.automaticCertificates(try appOption.resolve(name), as: context.principal)
            if format.json { return context.io.write(Output.json(Described(enabled: enabled, domains: domains))) }
            guard enabled else {
                return context.say(
                    "=== Automatic Certificate Management is disabled on \(app.name)\nUse certs:auto:enable \(app.name) to turn it on.")
            }
            context.say("=== Automatic Certificate Management is enabled on \(app.name)\n")
            guard !domains.isEmpty else {
                return context.say("\(app.name) has no custom domains; add one with domains:add \(app.name) HOSTNAME.")
            }
            let rows = domains.map { domain in
                [
                    domain.hostname, Self.word(domain.status), domain.expiresAt.map(CertText.date) ?? "", CertText.date(domain.updatedAt),
                    domain.reason ?? "",
                ]
            }
            context.io.write(Output.table([["Domain", "Status", "Expires", "Last Updated", "Reason"]] + rows))
        }

        static func word(_ status: AutomaticCertificate.Status) -> String {
            switch status {
            case .pending: "Pending"
            case .issued: "Cert issued"
            case .failed: "Failed"
            }
        }
    }

    struct Enable: TableCommand {
        static let configuration = CommandConfiguration(
            commandName: "certs:auto:enable", abstract: "Order certificates for an app's custom domains automatically (ACME).")
        @Argument var name: String?
        @OptionGroup var appOption: AppOption

        func execute(in context: CommandContext) async throws {
            let app = try context.platform.enableAutomaticCertificates(try appOption.resolve(name), as: context.principal)
            context.say("Enabling Automatic Certificate Management... done")
            context.say("Certificates are ordered for \(app.name)'s custom domains; see certs:auto \(app.name).")
        }
    }

    struct Disable: TableCommand {
        static let configuration = CommandConfiguration(
            commandName: "certs:auto:disable", abstract: "Stop automatic certificates and remove the ones issued.")
        @Argument var name: String?
        @OptionGroup var appOption: AppOption

        func execute(in context: CommandContext) async throws {
            _ = try context.platform.disableAutomaticCertificates(try appOption.resolve(name), as: context.principal)
            context.say("Disabling Automatic Certificate Management... done")
        }
    }

    /// `certs:auto --json`.
    struct Described: Encodable {
        var enabled: Bool
        var domains: [Domain]

        struct Domain: Encodable {
            var hostname: String
            var status: String
            var reason: String?
            var expiresAt: Date?
            var updatedAt: Date
        }

        init(enabled: Bool, domains: [AutomaticCertificate]) {
            self.enabled = enabled
            self.domains = domains.map {
                Domain(hostname: $0.hostname, status: $0.status.rawValue, reason: $0.reason, expiresAt: $0.expiresAt, updatedAt: $0.updatedAt)
            }
        }
    }
}
