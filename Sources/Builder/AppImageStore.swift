import Foundation
import OpenrukoCore

/// One app's image store (openruko as root): `DATA_DIR/containers/apps/UID/storage`, whose
/// layers belong to the app's user namespace map, so a `RUN` step is root only in a namespace of
/// the app's own ids and no other app's build sees its layers. Base images stay where an admin
/// loads them (the admin's store, `DATA_DIR/containers/storage`) and are copied into the app's
/// store the first time one of its Dockerfiles names them (again when the admin replaces one).
///
/// ```swift
/// let store = AppImageStore(layout: layout, appID: app.id, uid: uid, adminDriver: "vfs")
/// try store.prepare()
/// try await store.importBaseImages(["localhost/base"]) { print($0, terminator: "") }
/// ```
struct AppImageStore: Sendable {
    /// buildah on the app's store.
    let buildah: Buildah
    /// buildah on the admin's store.
    let admin: Buildah
    let identity: ContainerIdentity
    /// `DATA_DIR/containers/apps/UID`.
    let directory: String
    let appID: UUID
    let layout: DataLayout

    /// The app stores' driver, whatever the admin's store uses: buildah 1.28 on overlay with an
    /// id map fails a multi-stage build's `COPY --from` ("host ID 65534 cannot be mapped to a
    /// container ID").
    static let driver = "vfs"

    /// - Parameter adminDriver: the admin's store's driver (`OPENRUKO_CONTAINER_STORAGE_DRIVER`).
    init(layout: DataLayout, appID: UUID, uid: UInt32, adminDriver: String) {
        self.layout = layout
        identity = ContainerIdentity(appUID: uid)
        directory = ContainerIdentity.directory(layout, appUID: uid)
        self.appID = appID
        buildah = Buildah(
            storage: directory + "/storage", runRoot: ContainerIdentity.runRoot(layout, appUID: uid), driver: Self.driver, identity: identity,
            temporaryDirectory: ContainerIdentity.scratch(layout, appUID: uid))
        admin = Buildah(layout: layout, driver: adminDriver)
    }

    /// The file naming the app whose store this is.
    var ownerFile: String { directory + "/app" }

    /// Creates the store's directories (root's alone), first emptying a store another app left
    /// behind under the same uid (app uids are reused once an app is destroyed).
    /// - Throws: `OpenrukoError.internal` when a directory cannot be made or emptied.
    func prepare() throws(OpenrukoError) {
        let owner = FileTree.text(ownerFile)?.trimmingCharacters(in: .whitespacesAndNewlines)
        let id = appID.uuidString.lowercased()
        if owner != id, FileTree.kind(buildah.storage) != nil {
            FileTree.remove(buildah.storage)
            FileTree.remove(buildah.runRoot)
            guard FileTree.kind(buildah.storage) == nil else {
                throw OpenrukoError(.internal, "Cannot empty the image store \(buildah.storage) that another app left behind.")
            }
        }
        do {
            for path in [directory, buildah.runRoot] {
                try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
                chmod(path, 0o700)
            }
            try Self.makeScratch(layout, for: identity)
            if owner != id { try (id + "\n").write(toFile: ownerFile, atomically: true, encoding: .utf8) }
        } catch {
            throw OpenrukoError(.internal, "Cannot prepare the app's image store in \(directory): \(error.localizedDescription)")
        }
    }

    /// The directories runc reaches from inside the build's user namespace: the scratch root
    /// (passable, not listable), the app's `TMPDIR` (its build root's alone) and the empty `/sys`.
    static func makeScratch(_ layout: DataLayout, for identity: ContainerIdentity) throws {
        let root = ContainerIdentity.scratchRoot(layout)
        let scratch = ContainerIdentity.scratch(layout, appUID: identity.appUID)
        let sys = ContainerIdentity.sys(layout)
        for path in [scratch] + RunIsolation.sysDirectories.map({ sys + "/" + $0 }) {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        }
        chmod(root, 0o711)
        chown(scratch, identity.base, identity.base)
        chmod(scratch, 0o700)
        for relative in [""] + RunIsolation.sysDirectories { chmod(sys + (relative.isEmpty ? "" : "/" + relative), 0o555) }
    }

    /// Makes every image of `references` that the admin's store has present in the app's store,
    /// under the same names and id (an `oci-archive` round trip, which re-owns the layers to the
    /// app's ids). Images the admin's store lacks are left to `bud`, whose refusal names them.
    /// - Throws: `OpenrukoError` when buildah fails to copy an image.
    func importBaseImages(_ references: [String], output: @escaping @Sendable (String) -> Void) async throws(OpenrukoError) {
        var adminImages = admin.images()
        var appImages = buildah.images()
        for reference in references {
            guard let (id, names) = try await adminImage(reference, images: adminImages) else { continue }
            if let present = appImages.first(where: { $0.id == id }), Set(names).isSubset(of: present.names) { continue }
            if appImages.contains(where: { $0.id == id }) {
                _ = try await buildah.capture(["tag", id] + names)
            } else {
                output("-----> Importing base image \(names.first ?? reference) into the app's image store\n")
                try await copy(id, names: names)
            }
            appImages = buildah.images()
            adminImages = admin.images()
        }
    }

    /// The id and names of `reference` in the admin's store: by name from its image list, else
    /// as buildah resolves it (other search registries); nil when it is not there or is not a
    /// base image (see `isBaseImage`).
    func adminImage(_ reference: String, images: [(id: String, names: [String])]) async throws(OpenrukoError)
        -> (String, [String])?
    {
        for name in BaseImageReferences.storeNames(reference) {
            if let image = images.first(where: { $0.names.contains(name) }) {
                return Self.isBaseImage(names: image.names) ? (image.id, image.names) : nil
            }
        }
        guard FileManager.default.fileExists(atPath: admin.storage),
            let id = try? await admin.capture(["inspect", "--type", "image", "--format", "{{.FromImageID}}", reference])
                .trimmingCharacters(in: .whitespacesAndNewlines),
            let image = images.first(where: { $0.id == id }), Self.isBaseImage(names: image.names)
        else { return nil }
        return (image.id, image.names)
    }

    /// Whether an image of the admin's store, named `names`, is one an admin loaded for every
    /// app: it has a name, and none in `localhost/openruko/` (the images and layer cache an older
    /// openruko built there for apps, which stay another app's). An untagged image (a cached
    /// layer, reachable by an id prefix) never is.
    static func isBaseImage(names: [String]) -> Bool {
        !names.isEmpty && !names.contains { $0.hasPrefix("localhost/openruko/") }
    }

    /// Copies image `id` from the admin's store into the app's, named `names`.
    func copy(_ id: String, names: [String]) async throws(OpenrukoError) {
        let archive = buildah.runRoot + "/import-\(UUID().uuidString.lowercased()).tar"
        defer { unlink(archive) }
        _ = try await admin.capture(["push", "--quiet", "--disable-compression", id, "oci-archive:" + archive])
        _ = try await buildah.capture(["pull", "--quiet", "oci-archive:" + archive])
        _ = try await buildah.capture(["tag", id] + names)
    }
}
