import Foundation
import HTTPTypes
import Hummingbird
import OpenrukoCore
import Operations

/// A build (`GET /apps/{app}/builds`); `output_stream_url` is a capability URL.
struct BuildResource: Encodable, Sendable {
    var app: IDReference
    var buildpacks: Nullable<[Buildpack]>
    var created_at: String
    var id: String
    var output_stream_url: String
    var source_blob: SourceBlob
    var release: Nullable<IDReference>
    var slug: Nullable<IDReference>
    var stack: String
    var status: String
    var updated_at: String
    var user: UserReference

    struct Buildpack: Encodable, Sendable {
        var url: String
        var name: String
    }

    struct SourceBlob: Encodable, Sendable {
        var checksum: Nullable<String> = nil
        var url: String
        var version: Nullable<String>
        var version_description: Nullable<String> = nil
    }

    init(_ build: Build, app: App, stack: String, outputURL: String, sourceURL: String) {
        self.app = IDReference(id: app.id.wire)
        buildpacks = Nullable(build.buildpacks.isEmpty ? nil : build.buildpacks.map { Buildpack(url: $0, name: BuildpackName.of($0)) })
        created_at = build.createdAt.wire
        id = build.id.wire
        output_stream_url = outputURL
        source_blob = SourceBlob(url: sourceURL, version: Nullable(build.commit))
        release = Nullable(build.releaseID.map { IDReference(id: $0.wire) })
        slug = Nullable(build.slugID.map { IDReference(id: $0.wire) })
        self.stack = stack
        status = build.status.rawValue
        updated_at = build.updatedAt.wire
        user = UserReference(id: build.userID, email: build.userEmail)
    }
}

/// A buildpack of an app (`GET /apps/{app}/buildpack-installations`).
struct BuildpackInstallationResource: Encodable, Sendable {
    var ordinal: Int
    var buildpack: BuildResource.Buildpack

    init(ordinal: Int, url: String) {
        self.ordinal = ordinal
        buildpack = .init(url: url, name: BuildpackName.of(url))
    }
}

/// A short name for a buildpack URL: `heroku/python` for Heroku's own, else the last path
/// component without `.git` or archive suffixes.
enum BuildpackName {
    static func of(_ url: String) -> String {
        if !url.contains("://") { return url }
        let trimmed = url.split(separator: "#").first.map(String.init) ?? url
        var parts = trimmed.split(separator: "/").map(String.init)
        guard var last = parts.popLast() else { return url }
        for suffix in [".git", ".tgz", ".tar.gz"] where last.hasSuffix(suffix) { last.removeLast(suffix.count) }
        if let owner = parts.last, owner == "heroku", last.hasPrefix("heroku-buildpack-") {
            return "heroku/" + last.dropFirst("heroku-buildpack-".count)
        }
        return last
    }
}

/// A slug (`GET /apps/{app}/slugs/{id}`); `blob.url` is where its archive is uploaded.
struct SlugResource: Encodable, Sendable {
    var blob: Blob
    var buildpack_provided_description: Nullable<String>
    var checksum: Nullable<String>
    var commit: Nullable<String>
    var commit_description: Nullable<String>
    var created_at: String
    var id: String
    var process_types: [String: String]
    var size: Nullable<Int64>
    var stack: NamedReference
    var updated_at: String

    struct Blob: Encodable, Sendable {
        var method: String
        var url: String
    }

    init(_ slug: Slug, blobURL: String) {
        blob = Blob(method: "put", url: blobURL)
        buildpack_provided_description = Nullable(slug.buildpackDescription)
        checksum = Nullable(slug.checksum.isEmpty ? nil : slug.checksum)
        commit = Nullable(slug.commit)
        commit_description = Nullable(slug.commitDescription)
        created_at = slug.createdAt.wire
        id = slug.id.wire
        process_types = slug.processTypes
        size = Nullable(slug.checksum.isEmpty ? nil : slug.size)
        stack = .fixed("stack", slug.stack)
        updated_at = slug.createdAt.wire
    }
}

/// `POST /sources`: where to upload a source tarball and where the build fetches it.
struct SourceResource: Encodable, Sendable {
    var source_blob: Blob

    struct Blob: Encodable, Sendable {
        var get_url: String
        var put_url: String
    }
}

/// `POST /apps/{app}/log-sessions`: `logplex_url` is a capability URL to stream from.
struct LogSessionResource: Encodable, Sendable {
    var created_at: String
    var id: String
    var logplex_url: String
    var updated_at: String
}

/// A log drain (`GET /apps/{app}/log-drains`).
struct LogDrainResource: Encodable, Sendable {
    var addon: Nullable<NamedReference> = nil
    var app: IDNameReference
    var created_at: String
    var id: String
    var token: String
    var updated_at: String
    var url: String

    struct IDNameReference: Encodable, Sendable {
        var id: String
        var name: String
    }

    init(_ drain: LogDrain, app: App) {
        self.app = IDNameReference(id: app.id.wire, name: app.name)
        created_at = drain.createdAt.wire
        id = drain.id.wire
        token = drain.token
        updated_at = drain.updatedAt.wire
        url = drain.url
    }
}
