import Foundation
import OpenrukoCore

/// `buildah bud` of one Dockerfile on one store, with the isolation its `RUN` steps get
/// (`RunIsolation.budArguments`): `--layers` so unchanged steps come from the cache,
/// `--pull-never` (openruko pulls from no registry), `build.config` as `--build-arg`s.
struct ImageBuild: Sendable {
    let buildah: Buildah
    /// `RunIsolation.budArguments(sys:)`.
    let isolation: [String]
    /// The limit of each image build (`OPENRUKO_COMPILE_TIMEOUT`).
    let timeLimit: Duration
    /// The most each image build may add to the store (`OPENRUKO_IMAGE_BUILD_MAX`).
    let growthLimit: Int64

    /// Builds one Dockerfile (its directory is the context), streaming buildah's steps, and
    /// removes the image the tag named before (its layers stay while newer images use them).
    /// - Returns: the new image's id.
    /// - Throws: `OpenrukoError` with the ` !     ` message of a failed build.
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
        var arguments = ["bud"] + isolation + ["--layers", "--pull-never", "--iidfile", idFile, "-f", source + "/" + path, "-t", tag]
        for (key, value) in manifest.buildConfig.sorted(by: { $0.key < $1.key }) { arguments += ["--build-arg", "\(key)=\(value)"] }
        arguments.append(context)
        let end: Buildah.StreamEnd
        let tail: String
        do {
            (end, tail) = try await buildah.stream(arguments, timeLimit: timeLimit, growthLimit: growthLimit) { output(String(decoding: $0, as: UTF8.self)) }
        } catch {
            throw OpenrukoError(.unavailable, "Cannot run buildah: \(error)")
        }
        guard end == .exited(succeeded: true) else { throw Self.failure(end, tail, path: path, growthLimit: growthLimit) }
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
    static func failure(_ end: Buildah.StreamEnd, _ tail: String, path: String, growthLimit: Int64) -> OpenrukoError {
        switch end {
        case .timedOut:
            return OpenrukoError(.invalid, "Timed out building the Docker image (\(path)).\nPush rejected, failed to build Docker image.")
        case .overDisk:
            return OpenrukoError(
                .invalid,
                "Building the Docker image (\(path)) wrote more than \(DiskBudget.text(growthLimit)) to disk, this server's limit "
                    + "(OPENRUKO_IMAGE_BUILD_MAX); it was stopped.\nPush rejected: write less in RUN steps "
                    + "(remove what a step downloads in the same step, use multi-stage builds).")
        case .exited:
            break
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
