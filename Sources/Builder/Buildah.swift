import Foundation
import OpenrukoCore
import Subprocess
import SystemPackage

/// The `buildah` program on one image store: the vfs driver by default (no kernel overlay or
/// fuse needed; `overlay` when configured), no registry pulls. The admin's store
/// (`DATA_DIR/containers/storage`, run state in `DATA_DIR/run/containers`) holds the base
/// images an admin loads; as root each app builds in a store of its own whose layers belong to
/// the app's user namespace map (`ContainerIdentity`). Its environment is only `PATH`, `HOME`
/// and `TMPDIR`, so host settings (and app values) do not leak.
struct Buildah: Sendable {
    let executable: String
    let storage: String
    let runRoot: String
    /// `vfs` or `overlay`.
    let driver: String
    /// The store's user namespace map; nil for an unmapped store (the admin's, or any store
    /// when openruko is not root).
    let identity: ContainerIdentity?
    /// buildah's `TMPDIR` (its `RUN` bundles): the run root, or for a mapped store a directory
    /// the build's root can reach (`ContainerIdentity.scratch`).
    let temporaryDirectory: String

    /// The admin's store.
    init(layout: DataLayout, driver: String = "vfs", executable: String = "/usr/bin/buildah") {
        self.init(storage: layout.containerStorage, runRoot: layout.containerRunRoot, driver: driver, executable: executable)
    }

    init(
        storage: String, runRoot: String, driver: String, identity: ContainerIdentity? = nil, temporaryDirectory: String? = nil,
        executable: String = "/usr/bin/buildah"
    ) {
        self.executable = executable
        self.driver = driver
        self.storage = storage
        self.runRoot = runRoot
        self.identity = identity
        self.temporaryDirectory = temporaryDirectory ?? runRoot
    }

    /// The options every command takes first (a store's map is global: `bud` alone cannot map
    /// the layers it builds on).
    var globalArguments: [String] {
        (identity?.mapArguments ?? []) + ["--root", storage, "--runroot", runRoot, "--storage-driver", driver]
    }

    var environment: [Environment.Key: String] {
        [
            "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME": storage,
            "BUILDAH_ISOLATION": identity == nil ? "chroot" : "oci", "TMPDIR": temporaryDirectory,
        ]
    }

    /// The vfs directory of an image's top layer, which holds the image's whole root
    /// filesystem (vfs layers are full copies), from the store's image list; nil when the
    /// store does not say.
    func topLayerDirectory(imageID: String) -> String? {
        guard driver == "vfs", !imageID.isEmpty, let data = FileManager.default.contents(atPath: storage + "/vfs-images/images.json"),
            let images = (try? JSONSerialization.jsonObject(with: data)) as? [[String: Any]],
            let layer = images.first(where: { ($0["id"] as? String) == imageID })?["layer"] as? String,
            !layer.isEmpty, !layer.contains("/")
        else { return nil }
        let directory = storage + "/vfs/dir/" + layer
        guard case .directory = FileTree.kind(directory) else { return nil }
        return directory
    }

    /// The id of the image `name` (`localhost/x:latest`) from the store's image list; nil
    /// when there is none.
    func imageID(named name: String) -> String? {
        images().first(where: { $0.names.contains(name) })?.id
    }

    /// The store's images (id and names) from its image list, without running buildah.
    func images() -> [(id: String, names: [String])] {
        guard let data = FileManager.default.contents(atPath: storage + "/\(driver)-images/images.json"),
            let images = (try? JSONSerialization.jsonObject(with: data)) as? [[String: Any]]
        else { return [] }
        return images.compactMap { image in
            guard let id = image["id"] as? String else { return nil }
            return (id, image["names"] as? [String] ?? [])
        }
    }

    /// Whether buildah is installed.
    var isInstalled: Bool { FileManager.default.isExecutableFile(atPath: executable) }

    /// Runs `arguments`, streaming stdout and stderr (merged, raw) to `output`.
    /// - Returns: how it ended, and its last 64 KiB of output.
    /// - Parameter growthLimit: when set, the most `storage` may grow while it runs (measured
    ///   every `growthInterval`): past it, buildah is stopped (`.overDisk`).
    func stream(
        _ arguments: [String], timeLimit: Duration, growthLimit: Int64? = nil, output: @escaping @Sendable (Data) -> Void
    ) async throws -> (end: StreamEnd, tail: String) {
        try FileManager.default.createDirectory(atPath: runRoot, withIntermediateDirectories: true)
        let tail = TailBuffer()
        let configuration = Configuration(
            executable: .path(FilePath(executable)), arguments: Arguments(globalArguments + arguments),
            environment: .custom(environment))
        let storage = storage
        let result = try await withThrowingTaskGroup(of: StreamEnd.self) { group in
            group.addTask {
                .exited(
                    succeeded: try await Subprocess.run(configuration, input: .none, output: .sequence, error: .combinedWithOutput) {
                        execution in
                        for try await chunk in execution.standardOutput {
                            let data = chunk.withUnsafeBytes { Data($0) }
                            tail.append(data)
                            output(data)
                        }
                    }.terminationStatus.isSuccess)
            }
            group.addTask {
                try? await Task.sleep(for: timeLimit)
                return .timedOut
            }
            if let growthLimit {
                group.addTask {
                    let start = DiskUsage.bytes(storage)
                    while !Task.isCancelled {
                        try? await Task.sleep(for: Self.growthInterval)
                        if DiskUsage.bytes(storage) - start > growthLimit { return .overDisk }
                    }
                    return .timedOut
                }
            }
            let first = try await group.next() ?? .timedOut
            group.cancelAll()
            return first
        }
        return (result, tail.text)
    }

    /// How a streamed buildah run ended.
    enum StreamEnd: Sendable, Hashable {
        case exited(succeeded: Bool)
        /// Stopped at its time limit.
        case timedOut
        /// Stopped for growing the store past its limit.
        case overDisk
    }

    /// How often `stream` measures the store against its growth limit.
    static let growthInterval: Duration = .seconds(1)

    /// Runs `arguments` and returns stdout.
    /// - Throws: `OpenrukoError` with buildah's stderr when it fails.
    func capture(_ arguments: [String]) async throws(OpenrukoError) -> String {
        let run = { [self] in
            try FileManager.default.createDirectory(atPath: runRoot, withIntermediateDirectories: true)
            return try await Subprocess.run(
                .path(FilePath(executable)), arguments: Arguments(globalArguments + arguments), environment: .custom(environment),
                output: .string(limit: 16 << 20), error: .string(limit: 64 << 10))
        }
        let result: ExecutionResult<Void, StringOutput<UTF8>, StringOutput<UTF8>>
        do {
            result = try await run()
        } catch {
            throw OpenrukoError(.unavailable, "Cannot run buildah (\(executable)): \(error)")
        }
        guard result.terminationStatus.isSuccess else {
            let message = result.standardError.trimmingCharacters(in: .whitespacesAndNewlines)
            throw OpenrukoError(.internal, "buildah \(arguments.first ?? "") failed: \(message)")
        }
        return result.standardOutput
    }
}

/// The last bytes of a stream, shared with the reading task.
final class TailBuffer: @unchecked Sendable {
    // @unchecked: `data` is only touched while holding `lock`.
    private let lock = NSLock()
    private var data = Data()
    private let limit = 64 << 10

    func append(_ chunk: Data) {
        lock.withLock {
            data.append(chunk)
            if data.count > limit { data = data.suffix(limit) }
        }
    }

    var text: String { lock.withLock { String(decoding: data, as: UTF8.self) } }
}
