package import Foundation
package import OpenrukoCore

/// Which dyno to run: a slot (`web.1`) of a process type of one release.
package struct DynoSpec: Sendable, Hashable {
    package var app: App
    package var release: Release
    package var slug: Slug
    /// `web`, `worker`, `release`.
    package var type: String
    /// `web.1`.
    package var name: String
    package var command: String
    package var size: String
    package var kind: DynoLifecycle.Kind
    /// A one-off's own environment variables (over the config vars, under the platform's).
    package var env: [String: String] = [:]

    package init(app: App, release: Release, slug: Slug, type: String, name: String, command: String, size: String, kind: DynoLifecycle.Kind) {
        self.app = app
        self.release = release
        self.slug = slug
        self.type = type
        self.name = name
        self.command = command
        self.size = size
        self.kind = kind
    }

    /// For a container slug, the image this process type runs (`web`'s, or any, for a type
    /// the build did not name); nil for a buildpack slug.
    package var image: ContainerImage? {
        guard let images = slug.images, !images.isEmpty else { return nil }
        return images[type] ?? images[ProcessType.web.rawValue] ?? images.sorted { $0.key < $1.key }.first?.value
    }

    /// The slot number (`2` of `web.2`).
    package var index: Int { Int(name.split(separator: ".").last ?? "") ?? 0 }
}

/// A dyno as its driver last saw it: what `ps` shows and what the route table needs.
package struct DynoStatus: Sendable, Hashable {
    package var spec: DynoSpec
    /// The slot's identity for the life of its driver.
    package var slot: UUID
    /// The running (or last) process instance; a restart makes a new one.
    package var instance: UUID
    package var port: Int
    /// Where the router reaches it: its network namespace's address, or the host's loopback
    /// when dynos share the host's network.
    package var address = "127.0.0.1"
    package var state: Dyno.State
    package var createdAt: Date
    package var updatedAt: Date

    package init(spec: DynoSpec, slot: UUID, instance: UUID, port: Int, state: Dyno.State, createdAt: Date, updatedAt: Date) {
        self.spec = spec
        self.slot = slot
        self.instance = instance
        self.port = port
        self.state = state
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    /// The `Dyno` value of `ps` and the API.
    package var dyno: Dyno {
        Dyno(
            id: instance, name: spec.name, type: spec.type, command: spec.command, state: state, size: spec.size,
            releaseVersion: spec.release.version, releaseID: spec.release.id, createdAt: createdAt, updatedAt: updatedAt)
    }

    /// The router's view of it.
    package var backend: Backend { Backend(id: instance, dyno: spec.name, host: address, port: port) }
}
