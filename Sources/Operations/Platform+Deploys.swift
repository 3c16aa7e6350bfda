import Foundation
package import OpenrukoCore
import Store

// MARK: - Config patches, release pages, slugs, source builds (the API's use cases)

extension Platform {
    /// Sets and removes config vars in one change (`PATCH /apps/{app}/config-vars`, where null
    /// deletes): one release, described like Heroku ("Set A config vars", "Remove B config vars",
    /// or both joined with "and"). Keys already absent are ignored when unsetting.
    /// - Returns: the release, or nil when nothing changed (no release is made then).
    package func updateConfig(
        _ name: String, set values: [String: String], unset keys: [String], as principal: Principal,
        output: @escaping @Sendable (String) -> Void = { _ in }
    ) async throws(OpenrukoError) -> Release? {
        let app = try self.app(name, as: principal)
        for key in values.keys { try ConfigKey.validate(key) }
        for key in keys { try ConfigKey.validate(key) }
        let current = try store.config(appID: app.id)
        let changed = values.filter { current[$0.key] != $0.value }
        let removed = keys.filter { current[$0] != nil && values[$0] == nil }.sorted()
        guard !changed.isEmpty || !removed.isEmpty else { return nil }
        var parts: [String] = []
        if !changed.isEmpty { parts.append(ConfigKey.setDescription(changed.keys.sorted())) }
        if !removed.isEmpty { parts.append(ConfigKey.removeDescription(removed)) }
        let description = parts.joined(separator: " and ")
        let actor = try attribution(principal)
        let release = try store.updateConfig(
            appID: app.id, set: changed, unset: removed, description: description, actor: actor,
            status: try initialStatus(slugID: try store.currentRelease(appID: app.id)?.slugID))
        logAPI(app, "\(description) by user \(actor.email)")
        return await publish(release, of: app, actor: actor, output: output)
    }

    /// One page of the app's releases in version order (see `PlatformStore.releases(appID:after:through:descending:limit:)`).
    package func releases(
        _ name: String, after: Int?, through: Int?, descending: Bool, limit: Int, as principal: Principal
    ) throws(OpenrukoError) -> (App, [Release]) {
        let app = try self.app(name, as: principal)
        return (app, try store.releases(appID: app.id, after: after, through: through, descending: descending, limit: limit))
    }

    /// What identifies the state of an app's release list: it changes whenever a release is
    /// added, decided, or the app renamed (every such change also moves `App.updatedAt`).
    package func releaseListRevision(_ app: App) throws(OpenrukoError) -> String {
        "\(app.name)|\(app.updatedAt.timeIntervalSince1970)|\(try store.latestReleaseVersion(appID: app.id))"
    }

    /// Releases a slug of the app (`POST /apps/{app}/releases {slug}`), as a deploy.
    package func release(
        _ name: String, slug slugID: String, description: String?, as principal: Principal,
        output: @escaping @Sendable (String) -> Void = { _ in }
    ) async throws(OpenrukoError) -> Release {
        let (app, slug) = try self.slug(name, slugID, as: principal)
        if let description, description.count > 1000 {
            throw OpenrukoError(.invalid, "A release description has at most 1000 characters.", resource: "release")
        }
        return try await deploy(app, slug: slug, actor: try attribution(principal), description: description, output: output)
    }

    // MARK: Slugs

    /// One of the app's slugs.
    package func slug(_ name: String, _ id: String, as principal: Principal) throws(OpenrukoError) -> (App, Slug) {
        let app = try self.app(name, as: principal)
        guard let uuid = UUID(uuidString: id), let slug = try store.slug(id: uuid), slug.appID == app.id else {
            throw OpenrukoError(.notFound, "Couldn't find that slug.", resource: "slug")
        }
        return (app, slug)
    }

    /// The largest slug archive accepted: 200 MB, as on Heroku.
    package static let maximumSlugSize: Int64 = 200 * 1024 * 1024

    /// Records a slug whose archive is uploaded afterwards (`POST /apps/{app}/slugs`).
    package func createSlug(
        _ name: String, processTypes: [String: String], commit: String?, commitDescription: String?,
        buildpackDescription: String?, stack: String?, as principal: Principal
    ) throws(OpenrukoError) -> (App, Slug) {
        let app = try self.app(name, as: principal)
        for (type, command) in processTypes {
            _ = try ProcessType(type)
            guard !command.isEmpty else {
                throw OpenrukoError(.invalid, "The command of process type \(type) is empty.", resource: "slug")
            }
        }
        let slug = try store.createSlug(
            appID: app.id, processTypes: processTypes, size: 0, checksum: "", commit: commit, commitDescription: commitDescription,
            buildpackDescription: buildpackDescription, stack: try resolveStack(stack ?? app.stack))
        return (app, slug)
    }

    /// Moves an uploaded slug archive (a file under `DATA_DIR`) into place and records its
    /// size and checksum.
    /// - Throws: `invalid` over 200 MB (the upload is deleted).
    package func acceptSlugArchive(
        _ name: String, slug id: String, uploadedFile: String, size: Int64, sha256: String, as principal: Principal
    ) throws(OpenrukoError) -> Slug {
        let (app, slug) = try self.slug(name, id, as: principal)
        guard size <= Self.maximumSlugSize else {
            try? FileManager.default.removeItem(atPath: uploadedFile)
            throw OpenrukoError(.invalid, "Slug archives are limited to 200 MB.", resource: "slug")
        }
        let target = layout.slug(app.name, id: slug.id.uuidString.lowercased())
        do {
            try FileManager.default.createDirectory(atPath: layout.slugs(app.name), withIntermediateDirectories: true)
            _ = try? FileManager.default.removeItem(atPath: target)
            try FileManager.default.moveItem(atPath: uploadedFile, toPath: target)
        } catch {
            throw OpenrukoError(.internal, "Could not store the slug archive: \(error.localizedDescription)")
        }
        try store.setSlugArchive(id: slug.id, size: size, checksum: "SHA256:" + sha256)
        return try store.slug(id: slug.id) ?? slug
    }

    // MARK: Builds from source

    /// One of the app's builds.
    package func build(_ name: String, _ id: String, as principal: Principal) throws(OpenrukoError) -> (App, Build) {
        let app = try self.app(name, as: principal)
        guard let uuid = UUID(uuidString: id), let build = try store.build(id: uuid), build.appID == app.id else {
            throw OpenrukoError(.notFound, "Couldn't find that build.", resource: "build")
        }
        return (app, build)
    }

    /// Starts a build of an uploaded source tarball through the builder.
    /// - Parameters:
    ///   - service: the builder; nil when this process has none (the error says so).
    package func startBuild(
        _ name: String, tarball: String, version: String?, buildpacks: [String]?, service: (any BuildService)?,
        as principal: Principal
    ) async throws(OpenrukoError) -> Build {
        let app = try self.app(name, as: principal)
        for url in buildpacks ?? [] where url.isEmpty || url.contains(where: { $0.isWhitespace }) || url.count > 1000 {
            throw OpenrukoError(.invalid, "\(url.debugDescription) is not a valid buildpack URL.", resource: "build")
        }
        if let version, version.count > 200 {
            throw OpenrukoError(.invalid, "source_blob.version has at most 200 characters.", resource: "build")
        }
        guard let service else {
            throw OpenrukoError(.unavailable, "Builds from source are not available: this openruko has no builder running.", resource: "build")
        }
        if let refusal = try diskRefusal(incoming: DiskUsage.regularFileSize(tarball) ?? 0) {
            throw OpenrukoError(.unavailable, refusal, resource: "build")
        }
        return try await service.startBuild(app: app, tarball: tarball, version: version, buildpacks: buildpacks, user: principal.user)
    }

    // MARK: Logs

    /// The largest number of past lines a log session may ask for, as on Heroku.
    package static let maximumLogLines = 1500

    /// Checks a log session request (`POST /apps/{app}/log-sessions`) and returns its app.
    package func logSession(_ name: String, query: LogQuery, as principal: Principal) throws(OpenrukoError) -> App {
        let app = try self.app(name, as: principal)
        guard (0...Self.maximumLogLines).contains(query.lines) else {
            throw OpenrukoError(.invalid, "lines must be between 0 and \(Self.maximumLogLines).", resource: "log_session")
        }
        if let source = query.source, !["app", "heroku"].contains(source) {
            throw OpenrukoError(.invalid, "source must be 'app' or 'heroku'.", resource: "log_session")
        }
        if let dyno = query.dyno {
            let parts = dyno.split(separator: ".", omittingEmptySubsequences: false)
            guard (1...2).contains(parts.count), ProcessType.isValid(String(parts[0])), parts.count == 1 || Int(parts[1]) != nil else {
                throw OpenrukoError(.invalid, "dyno must be a dyno name (web.1) or a process type (web).", resource: "log_session")
            }
        }
        return app
    }
}
