import Foundation
package import OpenrukoCore

/// The container build (`Dockerfile` or `heroku.yml`) with buildah, no daemon: one image per
/// Dockerfile that `heroku.yml` `build.docker` names (or the root `Dockerfile` for every
/// type), `build.config` as build args (config vars never reach the build), layers cached in
/// `DATA_DIR/containers` across pushes. Each image's root filesystem goes into the artifact
/// under its own directory, beside its config (see `ContainerImage`), so a container release
/// is a slug like any other: rollback, config releases and the release phase treat it alike.
package struct BuildahBuilder: ContainerBuilder {
    let buildah: Buildah
    let timeLimit: Duration

    /// - Parameters:
    ///   - timeLimit: the limit of each image build (`OPENRUKO_COMPILE_TIMEOUT`).
    ///   - driver: buildah's storage driver (`vfs`, `overlay`).
    package init(layout: DataLayout, timeLimit: Duration, driver: String = "vfs") {
        buildah = Buildah(layout: layout, driver: driver)
        self.timeLimit = timeLimit
    }

    package func build(_ request: ContainerBuildRequest, output: @escaping @Sendable (String) -> Void) async throws(OpenrukoError)
        -> ContainerBuildResult
    {
        guard buildah.isInstalled else {
            throw OpenrukoError(.unavailable, "Container builds need buildah, which is not installed here (scripts/install-deps).")
        }
        let source = request.sourceDirectory
        let manifest = try Self.manifest(source)
        let plan = ContainerPlan(manifest: manifest)
        for (path, _) in plan.builds where !FileTree.isFile(source + "/" + path) {
            throw OpenrukoError(.invalid, "\(path) is missing: \(manifest.dockerfiles.isEmpty ? "a container build" : "heroku.yml") needs it.")
        }
        let export = ImageExport(buildah: buildah, stage: (source as NSString).deletingLastPathComponent + "/image")
        do {
            let result = try await build(request, plan: plan, export: export, output: output)
            await export.cleanUp()
            return result
        } catch {
            await export.cleanUp()
            throw error
        }
    }

    /// Builds and exports every image of the plan into the artifact.
    func build(
        _ request: ContainerBuildRequest, plan: ContainerPlan, export: ImageExport, output: @escaping @Sendable (String) -> Void
    ) async throws(OpenrukoError) -> ContainerBuildResult {
        let source = request.sourceDirectory
        let manifest = plan.manifest
        let procfile = FileTree.text(source + "/Procfile").map { Procfile(parsing: $0) }
        var configs: [String: ContainerImage] = [:]
        for (path, key) in plan.builds {
            let tag = "localhost/openruko/\(request.app.name)/\(key):latest"
            let id = try await build(path: path, tag: tag, manifest: manifest, source: source, output: output)
            let config = try ImageConfig(inspectJSON: try await buildah.capture(["inspect", "--type", "image", id.isEmpty ? tag : id]))
            let rootfs = try await export.mount(tag, imageID: config.imageID, as: key)
            configs[key] = try config.image(key: key, rootfs: rootfs)
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

    /// Builds one Dockerfile (its directory is the context), streaming buildah's steps, and
    /// removes the image the tag named before (its layers stay while newer images use them).
    /// - Returns: the new image's id.
    func build(path: String, tag: String, manifest: HerokuManifest, source: String, output: @escaping @Sendable (String) -> Void)
        async throws(OpenrukoError) -> String
    {
        output("-----> Building Docker image (\(path))\n")
        let previous = buildah.imageID(named: tag)
        let context = source + "/" + ((path as NSString).deletingLastPathComponent)
        // A symlinked directory must not make the host the build context.
        guard let root = Self.realPath(source), let resolved = Self.realPath(context), resolved == root || resolved.hasPrefix(root + "/")
        else {
            throw OpenrukoError(.invalid, "\(path) must be inside the repository (not behind a symlink that leaves it).")
        }
        let idFile = (source as NSString).deletingLastPathComponent + "/image-id"
        var arguments = ["bud", "--isolation", "chroot", "--layers", "--pull-never", "--iidfile", idFile, "-f", source + "/" + path, "-t", tag]
        for (key, value) in manifest.buildConfig.sorted(by: { $0.key < $1.key }) { arguments += ["--build-arg", "\(key)=\(value)"] }
        arguments.append(context)
        let succeeded: Bool
        let tail: String
        do {
            (succeeded, tail) = try await buildah.stream(arguments, timeLimit: timeLimit) { output(String(decoding: $0, as: UTF8.self)) }
        } catch {
            throw OpenrukoError(.unavailable, "Cannot run buildah: \(error)")
        }
        guard succeeded else { throw Self.failure(tail, path: path) }
        let id = (FileTree.text(idFile) ?? "").trimmingCharacters(in: .whitespacesAndNewlines).replacingOccurrences(of: "sha256:", with: "")
        try? FileManager.default.removeItem(atPath: idFile)
        if let previous, previous != id { _ = try? await buildah.capture(["rmi", previous]) }
        return id
    }

    /// `path` with every symlink resolved; nil when it does not exist.
    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// The ` !     ` message of a failed image build.
    static func failure(_ tail: String, path: String) -> OpenrukoError {
        if tail.contains("(timed out)") {
            return OpenrukoError(.invalid, "Timed out building the Docker image (\(path)).\nPush rejected, failed to build Docker image.")
        }
        if let line = tail.split(separator: "\n").last(where: { $0.contains("image not known") }) {
            let name = line.components(separatedBy: "creating build container: ").last?
                .replacingOccurrences(of: ": image not known", with: "") ?? String(line)
            return OpenrukoError(
                .invalid,
                "The base image \(name) is not in openruko's image store, and openruko pulls from no registry.\n"
                    + "Load it on the server first (see the README's container section).\n"
                    + "Push rejected, failed to build Docker image (\(path)).")
        }
        return OpenrukoError(.invalid, "Push rejected, failed to build Docker image (\(path)).")
    }
}
