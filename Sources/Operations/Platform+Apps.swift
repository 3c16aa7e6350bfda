import Foundation
package import OpenrukoCore
import Store

// MARK: - Apps, access, domains, buildpacks, drains

extension Platform {
    /// The apps the principal may act on (admins: all of them).
    package func apps(as principal: Principal) throws(OpenrukoError) -> [App] {
        switch principal {
        case .superuser: return try store.apps()
        case .user(let user): return user.isAdmin ? try store.apps() : try store.apps(accessibleBy: user.id)
        }
    }

    /// Creates an app with its bare repository and release v1. Without a name, picks a free
    /// Heroku-style one. Owned by the principal, or by `--user` (admins), or for the
    /// superuser by the first admin. `stack` is resolved by `resolveStack` (nil: the default).
    package func createApp(name: String?, owner email: String?, stack: String? = nil, as principal: Principal) throws(OpenrukoError)
        -> App
    {
        let owner = try subject(email, as: principal, action: "create apps for other users")
        let appName = if let name { try AppName(name).rawValue } else { try freeAppName() }
        let stack = try resolveStack(stack)
        let actor = try attribution(principal)
        let app = try store.createApp(name: appName, ownerID: owner.id, stack: stack, actor: actor)
        removeDebris(named: app.name)  // a new app never inherits another's repository, slugs or cache
        do {
            try repositories.create(app: app.name)
        } catch {
            try? store.deleteApp(id: app.id)
            throw error
        }
        logAPI(app, "Release v1 created by user \(actor.email)")
        return app
    }

    /// Destroys an app: dynos, repository, slugs, cache and records. Only its owner or an
    /// admin may, and `confirm` must repeat the name.
    package func destroyApp(_ name: String, confirm: String?, as principal: Principal) async throws(OpenrukoError) -> App {
        let app = try self.app(name, as: principal)
        if let user = principal.user, !user.isAdmin, user.id != app.ownerID {
            throw OpenrukoError(.forbidden, "Only the owner of \(app.name) (\(app.ownerEmail)) or an admin may destroy it.", resource: "app")
        }
        guard confirm == app.name else {
            throw OpenrukoError(.invalid, "This destroys \(app.name) and all its data. To proceed, pass --confirm \(app.name).", resource: "app")
        }
        await runtime.appDestroyed(app)
        try await destroyAddons(of: app, by: principal)  // each after a final backup (Platform+Addons)
        let slugs = try store.slugs(appID: app.id).map(\.id)
        let builds = try store.builds(appID: app.id).map(\.id)
        // Its bytes go before its records: a destroy cut short (a killed daemon) leaves an app
        // its owner can destroy again, never files without an app.
        repositories.delete(app: app.name)
        removeData(of: app, slugs: slugs, builds: builds)  // every other byte it owns (Platform+Disk)
        try store.deleteApp(id: app.id)
        return app
    }

    /// A free random name like `crimson-river-4821`.
    func freeAppName() throws(OpenrukoError) -> String {
        for _ in 0..<20 {
            let candidate = AppNameGenerator.random()
            if try store.app(candidate) == nil { return candidate }
        }
        throw OpenrukoError(.conflict, "Could not find a free app name; give one.", resource: "app")
    }

    // MARK: Access

    /// The app's collaborators.
    package func collaborators(_ name: String, as principal: Principal) throws(OpenrukoError) -> (App, [Collaborator]) {
        let app = try self.app(name, as: principal)
        return (app, try store.collaborators(appID: app.id))
    }

    /// Gives a user access to an app.
    package func addCollaborator(_ name: String, email: String, as principal: Principal) throws(OpenrukoError) -> Collaborator {
        let app = try self.app(name, as: principal)
        let address = try EmailAddress(email)
        guard let user = try store.user(email: address.rawValue) else { throw OpenrukoError.userNotFound(address.rawValue) }
        return try store.addCollaborator(appID: app.id, userID: user.id)
    }

    /// Takes a user's access away.
    package func removeCollaborator(_ name: String, email: String, as principal: Principal) throws(OpenrukoError) -> Collaborator {
        let app = try self.app(name, as: principal)
        let address = try EmailAddress(email)
        guard let collaborator = try store.collaborators(appID: app.id).first(where: { $0.email == address.rawValue }) else {
            throw OpenrukoError(.notFound, "\(address.rawValue) is not a collaborator on \(app.name).", resource: "collaborator")
        }
        try store.removeCollaborator(appID: app.id, userID: collaborator.userID)
        return collaborator
    }

    // MARK: Buildpacks

    /// The app's buildpack URLs.
    package func buildpacks(_ name: String, as principal: Principal) throws(OpenrukoError) -> (App, [String]) {
        let app = try self.app(name, as: principal)
        return (app, app.buildpacks)
    }

    /// Replaces the app's buildpacks (empty list: detect again).
    package func setBuildpacks(_ name: String, _ urls: [String], as principal: Principal) throws(OpenrukoError) -> [String] {
        let app = try self.app(name, as: principal)
        for url in urls where url.isEmpty || url.contains(where: { $0.isWhitespace || $0.isNewline }) || url.count > 1000 {
            throw OpenrukoError(.invalid, "\(url.debugDescription) is not a valid buildpack URL.", resource: "buildpack")
        }
        let policy: LocalBuildpackPolicy = principal.isAdmin ? .admin : .tenant()
        for url in urls where !policy.permits(url) {
            throw OpenrukoError(.forbidden, policy.refusal(url), resource: "buildpack")
        }
        try store.setBuildpacks(appID: app.id, urls)
        return urls
    }

    // MARK: Domains

    /// The app's custom hostnames.
    package func domains(_ name: String, as principal: Principal) throws(OpenrukoError) -> (App, [Domain]) {
        let app = try self.app(name, as: principal)
        return (app, try store.domains(appID: app.id))
    }

    /// Routes a custom hostname to the app.
    package func addDomain(_ name: String, hostname: String, as principal: Principal) throws(OpenrukoError) -> Domain {
        let app = try self.app(name, as: principal)
        let host = hostname.lowercased()
        guard Self.isValidHostname(host) else {
            throw OpenrukoError(.invalid, "\(hostname.debugDescription) is not a valid hostname.", resource: "domain")
        }
        if let reason = reservedHostReason(host) {
            throw OpenrukoError(.invalid, "\(host) cannot be an app's domain: \(reason).", resource: "domain")
        }
        if host == urls.domain || host.hasSuffix("." + urls.domain) && !host.dropLast(urls.domain.count + 1).contains(".") {
            throw OpenrukoError(.invalid, "\(host) is an app address of this openruko; pick another hostname.", resource: "domain")
        }
        return try store.addDomain(appID: app.id, hostname: host)
    }

    /// Stops routing a hostname to the app.
    package func removeDomain(_ name: String, hostname: String, as principal: Principal) throws(OpenrukoError) {
        let app = try self.app(name, as: principal)
        try store.removeDomain(appID: app.id, hostname: hostname.lowercased())
    }

    /// Why `host` (lowercased, a valid hostname) may not route to an app: an IP literal, a
    /// `localhost` name, or the platform's own SSH host. Nil when it may.
    func reservedHostReason(_ host: String) -> String? {
        let labels = host.split(separator: ".")
        if let last = labels.last, last.allSatisfy(\.isNumber) || last.hasPrefix("0x") {
            return "it is an IP address (a domain must be a DNS name you own)"
        }
        if host == "localhost" || host.hasSuffix(".localhost") || labels.last == "localdomain" {
            return "localhost names point at the server itself"
        }
        if host == urls.sshHost.lowercased() { return "it is this platform's own hostname" }
        return nil
    }

    static func isValidHostname(_ host: String) -> Bool {
        guard !host.isEmpty, host.utf8.count <= 253 else { return false }
        let labels = host.split(separator: ".", omittingEmptySubsequences: false)
        guard labels.count >= 2 else { return false }
        return labels.allSatisfy { label in
            (1...63).contains(label.count) && !label.hasPrefix("-") && !label.hasSuffix("-")
                && label.allSatisfy { ($0.isASCII && ($0.isLetter || $0.isNumber)) || $0 == "-" }
        }
    }

    // MARK: Drains

    /// The app's log drains.
    package func drains(_ name: String, as principal: Principal) throws(OpenrukoError) -> (App, [LogDrain]) {
        let app = try self.app(name, as: principal)
        return (app, try store.drains(appID: app.id))
    }

    /// Adds a log drain (`syslog://`, `syslog+tls://`, `https://`, `http://`).
    /// - Throws: `invalid` for an unknown scheme, a malformed URL or a host that does not
    ///   resolve; `conflict` when the app already drains there.
    package func addDrain(_ name: String, url: String, as principal: Principal) throws(OpenrukoError) -> LogDrain {
        let app = try self.app(name, as: principal)
        let parsed = try DrainURL(parsing: url)
        guard Self.resolves(parsed.host) else {
            throw OpenrukoError(
                .invalid, "The drain host \(parsed.host) cannot be resolved from this server; check the URL \(url.debugDescription).",
                resource: "log_drain")
        }
        return try store.addDrain(appID: app.id, url: url)
    }

    /// Whether `host` is an IP address or a name this server resolves.
    static func resolves(_ host: String) -> Bool {
        !Host(name: host).addresses.isEmpty
    }

    /// Removes a log drain by URL or token.
    package func removeDrain(_ name: String, url: String, as principal: Principal) throws(OpenrukoError) -> LogDrain {
        let app = try self.app(name, as: principal)
        return try store.removeDrain(appID: app.id, url)
    }
}
