import Foundation
package import OpenrukoCore
package import Isolation

/// The container build (`Dockerfile` or `heroku.yml`) with buildah, no daemon: one image per
/// Dockerfile that `heroku.yml` `build.docker` names (or the root `Dockerfile` for every
/// type), `build.config` as build args (config vars never reach the build), layers cached in
/// `DATA_DIR/containers` across pushes. Each image's root filesystem goes into the artifact
/// under its own directory, beside its config (see `ContainerImage`), so a container release
/// is a slug like any other: rollback, config releases and the release phase treat it alike.
/// Each app builds in a store of its own and its `RUN` steps are root only in a user namespace
/// of the app's own ids, on the build's own network (see `RunIsolation`); only root can do that,
/// so an openruko that is not root refuses container builds.
package struct BuildahBuilder: ContainerBuilder {
    let layout: DataLayout
    let driver: String
    let timeLimit: Duration
    /// The most one image build may add to the app's store (`OPENRUKO_IMAGE_BUILD_MAX`).
    let growthLimit: Int64
    /// Where `RUN` steps get a network namespace of their own (nil: the host's network).
    let network: SandboxNetwork?
    let isRoot: Bool

    /// - Parameters:
    ///   - timeLimit: the limit of each image build (`OPENRUKO_COMPILE_TIMEOUT`).
    ///   - growthLimit: the most each image build may add to the app's store
    ///     (`OPENRUKO_IMAGE_BUILD_MAX`).
    ///   - driver: buildah's storage driver (`vfs`, `overlay`) of the admin's store (as root,
    ///     each app's store is vfs: see `AppImageStore.driver`).
    ///   - network: the build sandbox's network (`Sandbox.network`); by default the kernel
    ///     network of this process's settings, as the build sandbox gets it.
    package init(
        layout: DataLayout, timeLimit: Duration, growthLimit: Int64 = 10 << 30, driver: String = "vfs",
        network: SandboxNetwork? = BuildahBuilder.kernelNetwork()
    ) {
        self.layout = layout
        self.growthLimit = growthLimit
        self.driver = driver
        self.timeLimit = timeLimit
        self.network = network
        isRoot = geteuid() == 0
    }

    /// `SandboxNetwork.kernel()`, nil when it is off or its settings are invalid (the build
    /// sandbox then refuses them first).
    package static func kernelNetwork() -> SandboxNetwork? {
        (try? SandboxNetwork.kernel()) ?? nil
    }

    /// The admin's store (base images).
    var adminBuildah: Buildah { Buildah(layout: layout, driver: driver) }

    package func build(_ request: ContainerBuildRequest, output: @escaping @Sendable (String) -> Void) async throws(OpenrukoError)
        -> ContainerBuildResult
    {
        guard adminBuildah.isInstalled else {
            throw OpenrukoError(.unavailable, "Container builds need buildah, which is not installed here (scripts/install-deps).")
        }
        let source = request.sourceDirectory
        let manifest = try Self.manifest(source)
        let plan = ContainerPlan(manifest: manifest)
        for (path, _) in plan.builds where !FileTree.isFile(source + "/" + path) {
            throw OpenrukoError(.invalid, "\(path) is missing: \(manifest.dockerfiles.isEmpty ? "a container build" : "heroku.yml") needs it.")
        }
        var isolation = try RunIsolation.of(appUID: request.app.sandboxUID, isRoot: isRoot, network: nil, app: request.app.name)
        let buildah = try await prepareStore(request, identity: isolation.identity, plan: plan, output: output).buildah
        var lease: NetworkLease?
        if let network {
            do {
                lease = try await network.lease()
            } catch {
                throw OpenrukoError(.unavailable, "Cannot give the build a network: \(error.message)")
            }
        }
        isolation.network = lease?.path
        let image = ImageBuild(
            buildah: buildah, isolation: isolation.budArguments(sys: ContainerIdentity.sys(layout)), timeLimit: timeLimit,
            growthLimit: growthLimit)
        let export = ImageExport(buildah: buildah, stage: (source as NSString).deletingLastPathComponent + "/image")
        let outcome: Result<ContainerBuildResult, OpenrukoError>
        do {
            outcome = .success(try await build(request, plan: plan, image: image, export: export, output: output))
        } catch {
            outcome = .failure(error)
        }
        await export.cleanUp()
        if let lease, let network { await network.release(lease) }
        return try outcome.get()
    }

    /// The app's own store, emptied if another app left it, with the base images its
    /// Dockerfiles name copied from the admin's store.
    /// - Throws: `OpenrukoError` when the app's ids are not its own, runc is missing, or the
    ///   store cannot be prepared.
    func prepareStore(
        _ request: ContainerBuildRequest, identity: ContainerIdentity, plan: ContainerPlan, output: @escaping @Sendable (String) -> Void
    ) async throws(OpenrukoError) -> AppImageStore {
        guard FileManager.default.isExecutableFile(atPath: RunIsolation.runtime) else {
            throw OpenrukoError(.unavailable, "Container builds need runc (\(RunIsolation.runtime)), which is not installed here (scripts/install-deps).")
        }
        let subordinate = ["/etc/subuid", "/etc/subgid"].map { ($0, FileTree.text($0) ?? "") }
        let appUIDs = (try? SandboxUIDRange.current()) ?? SandboxUIDRange.default
        if let conflict = identity.conflict(appUIDs: appUIDs, subordinate: subordinate) { throw OpenrukoError(.unavailable, conflict) }
        let store = AppImageStore(layout: layout, appID: request.app.id, uid: identity.appUID, adminDriver: driver)
        try store.prepare()
        let buildRoot = SandboxIdentity(uid: identity.base, gid: identity.base, switchesUser: true)
        if let (path, mode) = buildRoot.unreachableDirectory(on: ContainerIdentity.sys(layout)) {
            throw OpenrukoError(
                .unavailable,
                "A container build's root (host uid \(identity.base)) cannot enter \(path) (mode \(String(mode, radix: 8))), which holds "
                    + "what its RUN steps need: let others pass through it (chmod o+x).")
        }
        var references: [String] = []
        for (path, _) in plan.builds {
            let text = FileTree.text(request.sourceDirectory + "/" + path) ?? ""
            for reference in BaseImageReferences(dockerfile: text, buildArguments: plan.manifest.buildConfig).references
            where !references.contains(reference) {
                references.append(reference)
            }
        }
        try await store.importBaseImages(references, output: output)
        return store
    }

    /// Builds and exports every image of the plan into the artifact.
    func build(
        _ request: ContainerBuildRequest, plan: ContainerPlan, image: ImageBuild, export: ImageExport,
        output: @escaping @Sendable (String) -> Void
    ) async throws(OpenrukoError) -> ContainerBuildResult {
        let source = request.sourceDirectory
        let manifest = plan.manifest
        let procfile = FileTree.text(source + "/Procfile").map { Procfile(parsing: $0) }
        var configs: [String: ContainerImage] = [:]
        for (path, key) in plan.builds {
            let tag = "localhost/openruko/\(request.app.name)/\(key):latest"
            let id = try await image.build(path: path, tag: tag, manifest: manifest, source: source, output: output)
            let config = try ImageConfig(inspectJSON: try await image.buildah.capture(["inspect", "--type", "image", id.isEmpty ? tag : id]))
            let rootfs = try await export.mount(tag, imageID: config.imageID, as: key)
            configs[key] = try config.image(key: key, rootfs: rootfs)
            if isRoot, adminBuildah.imageID(named: tag) != nil {
                // The layer cache of builds before per-app stores: no longer used.
                _ = try? await adminBuildah.capture(["rmi", tag])
            }
        }
        let result = plan.processTypes(images: configs, procfile: procfile)
        output("-----> Discovering process types\n")
        let declared = result.processTypes.keys.filter { $0 != ProcessType.release.rawValue }.sorted()
        output("       Process types -> \(declared.isEmpty ? "(none)" : declared.joined(separator: ", "))\n")
        if let release = result.processTypes[ProcessType.release.rawValue] { output("       Release command -> \(release)\n") }
        try await export.pack(to: request.artifactPath)
        return result
    }

    /// `heroku.yml` when the app has one, else an empty manifest (root `Dockerfile`).
    static func manifest(_ source: String) throws(OpenrukoError) -> HerokuManifest {
        guard let text = FileTree.text(source + "/heroku.yml") else { return HerokuManifest() }
        do {
            return try HerokuManifest(yaml: text)
        } catch {
            throw OpenrukoError(.invalid, error.message)
        }
    }
}
