import ArgumentParser
import Foundation
import OpenrukoCore
import Operations

/// `certs`, `certs:info`, `certs:add`, `certs:update`, `certs:remove`: TLS certificates for an
/// app's custom domains (Heroku's SNI endpoints), served by the router's HTTPS listener.
enum CertCommands {
    static let all: [any TableCommand.Type] = [List.self, Info.self, Add.self, Update.self, Remove.self]

    struct List: TableCommand {
        static let configuration = CommandConfiguration(commandName: "certs", abstract: "List an app's TLS certificates.")
        @Argument var name: String?
        @OptionGroup var appOption: AppOption
        @OptionGroup var format: JSONFlag

        func execute(in context: CommandContext) async throws {
            let (app, certificates) = try context.platform.certificates(try appOption.resolve(name), as: context.principal)
            let served = try context.platform.servedDomains(of: app, certificates).mapValues { $0.map(\.hostname) }
            if format.json { return context.io.write(Output.json(certificates.map { Described($0, domains: served[$0.id] ?? []) })) }
            guard !certificates.isEmpty else {
                return context.say("\(app.name) has no SSL certificates.\nUse certs:add \(app.name) < CERT_AND_KEY.pem to add one.")
            }
            let rows = certificates.map { certificate in
                [
                    certificate.name, certificate.names.joined(separator: ", "), CertText.date(certificate.expiresAt),
                    certificate.selfSigned ? "False" : "True", "SNI", "\(served[certificate.id]?.count ?? 0)",
                ]
            }
            context.io.write(Output.table([["Name", "Common Name(s)", "Expires", "Trusted", "Type", "Domains"]] + rows))
        }
    }

    struct Info: TableCommand {
        static let configuration = CommandConfiguration(commandName: "certs:info", abstract: "Show one of an app's TLS certificates.")
        @Argument var name: String?
        @OptionGroup var appOption: AppOption
        @Option(help: "Which certificate (needed when the app has several).") var certificate: String?
        @OptionGroup var format: JSONFlag

        func execute(in context: CommandContext) async throws {
            let (app, found) = try context.platform.certificate(try appOption.resolve(name), named: certificate, as: context.principal)
            let domains = try context.platform.servedDomains(of: app, [found])[found.id]?.map(\.hostname) ?? []
            if format.json { return context.io.write(Output.json(Described(found, domains: domains))) }
            context.say("Fetching SSL certificate \(found.name) info for \(app.name)... done")
            context.io.write(CertText.details(found, domains: domains))
        }
    }

    struct Add: TableCommand {
        static let configuration = CommandConfiguration(
            commandName: "certs:add",
            abstract: "Add a TLS certificate for an app's custom domains: the PEM chain and key on stdin (admins may name files).")
        @Argument(help: "APP, then (admins only) CERT_FILE KEY_FILE on the server.") var words: [String] = []
        @OptionGroup var appOption: AppOption

        func execute(in context: CommandContext) async throws {
            var words = words
            let app = try appOption.resolve(&words)
            let (chain, key) = try await CertInput.read(words, in: context, usage: "certs:add APP [CERT_FILE KEY_FILE]")
            let added = try context.platform.addCertificate(app, chain: chain, key: key, as: context.principal)
            let served = try context.platform.servedDomains(of: try context.platform.app(app, as: context.principal), [added])
            let domains = served[added.id]?.map(\.hostname) ?? []
            context.say("Adding SSL certificate to \(app)... done")
            context.say("\(app) now has the certificate \(added.name) for \(domains.joined(separator: ", ")).")
            context.io.write(CertText.details(added, domains: domains))
        }
    }

    struct Update: TableCommand {
        static let configuration = CommandConfiguration(
            commandName: "certs:update", abstract: "Replace a TLS certificate's chain and key (on stdin, like certs:add).")
        @Argument(help: "APP, then (admins only) CERT_FILE KEY_FILE on the server.") var words: [String] = []
        @OptionGroup var appOption: AppOption
        @Option(help: "Which certificate (needed when the app has several).") var certificate: String?

        func execute(in context: CommandContext) async throws {
            var words = words
            let app = try appOption.resolve(&words)
            let (chain, key) = try await CertInput.read(words, in: context, usage: "certs:update APP [--certificate NAME] [CERT_FILE KEY_FILE]")
            let updated = try context.platform.updateCertificate(app, named: certificate, chain: chain, key: key, as: context.principal)
            context.say("Updating SSL certificate \(updated.name) for \(app)... done")
        }
    }

    struct Remove: TableCommand {
        static let configuration = CommandConfiguration(commandName: "certs:remove", abstract: "Remove a TLS certificate of an app.")
        @Argument var words: [String] = []
        @OptionGroup var appOption: AppOption
        @Option(help: "Which certificate (or give its name after the app).") var certificate: String?

        func execute(in context: CommandContext) async throws {
            var words = words
            let app = try appOption.resolve(&words)
            guard words.count <= 1 else { throw OpenrukoError(.invalid, "Usage: certs:remove APP [NAME]") }
            let removed = try context.platform.removeCertificate(app, named: certificate ?? words.first, as: context.principal)
            context.say("Removing SSL certificate \(removed.name) from \(app)... done")
        }
    }

    /// A certificate with the domains it is served for, for `--json`.
    struct Described: Encodable {
        var id: UUID
        var name: String
        var names: [String]
        var subject: String
        var issuer: String
        var startsAt: Date
        var expiresAt: Date
        var selfSigned: Bool
        var domains: [String]

        init(_ certificate: AppCertificate, domains: [String]) {
            id = certificate.id
            name = certificate.name
            names = certificate.names
            subject = certificate.subject
            issuer = certificate.issuer
            startsAt = certificate.startsAt
            expiresAt = certificate.expiresAt
            selfSigned = certificate.selfSigned
            self.domains = domains
        }
    }
}

/// The input of `certs:add` and `certs:update`.
enum CertInput {
    /// The chain and key: from files an admin names (on the server), else both from stdin.
    static func read(_ files: [String], in context: CommandContext, usage: String) async throws(OpenrukoError) -> (String, String?) {
        switch files.count {
        case 0:
            let input = String(decoding: await context.io.readAll(), as: UTF8.self)
            guard !input.isEmpty else {
                throw OpenrukoError(
                    .invalid, "Send the certificate chain and its key on stdin: cat server.crt server.key | ssh … certs:add APP")
            }
            return (input, nil)
        case 2:
            guard context.principal.isAdmin else {
                throw OpenrukoError(
                    .forbidden, "Only admins may name files on the server; send them on stdin: cat \(files[0]) \(files[1]) | ssh … certs:add APP")
            }
            guard let chain = try? String(contentsOfFile: files[0], encoding: .utf8) else {
                throw OpenrukoError(.invalid, "Cannot read \(files[0]).")
            }
            guard let key = try? String(contentsOfFile: files[1], encoding: .utf8) else {
                throw OpenrukoError(.invalid, "Cannot read \(files[1]).")
            }
            return (chain, key)
        default:
            throw OpenrukoError(.invalid, "Usage: \(usage)")
        }
    }
}

/// Heroku's text for a certificate.
enum CertText {
    static func date(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd HH:mm 'UTC'"
        return formatter.string(from: date)
    }

    static func details(_ certificate: AppCertificate, domains: [String]) -> String {
        Output.header("Certificate details:")
            + Output.fields([
                ("Name", certificate.name),
                ("Common Name(s)", certificate.names.joined(separator: ", ")),
                ("Domains", domains.isEmpty ? "none (add a covered domain with domains:add)" : domains.joined(separator: ", ")),
                ("Expires At", date(certificate.expiresAt)),
                ("Issuer", certificate.issuer),
                ("Starts At", date(certificate.startsAt)),
                ("Subject", certificate.subject),
            ])
            + (certificate.selfSigned ? "SSL certificate is self signed.\n" : "")
    }
}
