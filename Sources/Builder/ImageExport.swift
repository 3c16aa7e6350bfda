import Foundation
import OpenrukoCore

/// The built images' root filesystems, gathered for packing: each image gets a working
/// container (`buildah from`), mounted (`buildah mount`, a plain directory with vfs) and
/// bind-mounted at `STAGE/KEY`, so the artifact packs them all as `./KEY/…` in one pass.
/// `cleanUp()` unmounts and removes everything it made.
actor ImageExport {
    let buildah: Buildah
    let stage: String
    private var containers: [String] = []
    private var binds: [String] = []

    init(buildah: Buildah, stage: String) {
        self.buildah = buildah
        self.stage = stage
    }

    /// Mounts the root filesystem of image `imageID` (`reference`) at `STAGE/KEY`: with vfs
    /// the image's top layer directory already is the whole tree, read in place; otherwise a
    /// working container's mount.
    /// - Returns: the root filesystem's host path.
    func mount(_ reference: String, imageID: String, as key: String) async throws(OpenrukoError) -> String {
        let rootfs: String
        if let layer = buildah.topLayerDirectory(imageID: imageID) {
            rootfs = layer
        } else {
            let name = "openruko-export-" + UUID().uuidString.lowercased().prefix(12)
            _ = try await buildah.capture(["from", "--pull-never", "--quiet", "--name", name, reference])
            containers.append(name)
            rootfs = try await buildah.capture(["mount", name]).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        let target = stage + "/" + key
        do {
            try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: true)
        } catch {
            throw OpenrukoError(.internal, "Cannot prepare the image export: \(error.localizedDescription)")
        }
        guard Glibc.mount(rootfs, target, nil, UInt(MS_BIND), nil) == 0 else {
            throw OpenrukoError(.internal, "Cannot mount the image's root filesystem: \(String(cString: strerror(errno)))")
        }
        binds.append(target)
        return rootfs
    }

    /// Packs every mounted image into `path` (a gzipped tar, `./KEY/…`).
    func pack(to path: String) throws(OpenrukoError) {
        do {
            // Images are large and mostly binaries: speed over the last few percent of size.
            _ = try SlugPacker.pack(stage, to: path, level: 1)
        } catch {
            throw OpenrukoError(.internal, error.message)
        }
    }

    /// Unmounts the binds and removes the working containers (their images stay).
    func cleanUp() async {
        for target in binds.reversed() { umount2(target, Int32(MNT_DETACH)) }
        binds.removeAll()
        for name in containers { _ = try? await buildah.capture(["rm", name]) }
        containers.removeAll()
        try? FileManager.default.removeItem(atPath: stage)
    }
}
