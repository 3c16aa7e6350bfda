import Foundation
import OpenrukoCore
import Subprocess
import SystemPackage

/// The `buildah` program with openruko's storage: the vfs driver by default (no kernel
/// overlay or fuse needed; `overlay` when configured), the image store in `DATA_DIR/containers/storage`, its run state in
/// `DATA_DIR/run/containers`, chroot isolation for `RUN` steps (no container runtime), no
/// registry pulls. Its environment is only `PATH` and `HOME`, so host settings do not leak.
struct Buildah: Sendable {
    let executable: String
    let storage: String
    let runRoot: String
    /// `vfs` or `overlay`.
    let driver: String

    init(layout: DataLayout, driver: String = "vfs", executable: String = "/usr/bin/buildah") {
        self.executable = executable
        self.driver = driver
        storage = layout.containerStorage
        runRoot = layout.containerRunRoot
    }

    /// The options every command takes first.
    var globalArguments: [String] { ["--root", storage, "--runroot", runRoot, "--storage-driver", driver] }

    var environment: [Environment.Key: String] {
        [
            "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME": storage,
            "BUILDAH_ISOLATION": "chroot", "TMPDIR": runRoot,
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
        guard let data = FileManager.default.contents(atPath: storage + "/\(driver)-images/images.json"),
            let images = (try? JSONSerialization.jsonObject(with: data)) as? [[String: Any]]
        else { return nil }
        return images.first(where: { ($0["names"] as? [String])?.contains(name) == true })?["id"] as? String
    }

    /// Whether buildah is installed.
    var isInstalled: Bool { FileManager.default.isExecutableFile(atPath: executable) }

    /// Runs `arguments`, streaming stdout and stderr (merged, raw) to `output`.
    /// - Returns: whether it exited 0, and its last 64 KiB of output.
    func stream(_ arguments: [String], timeLimit: Duration, output: @escaping @Sendable (Data) -> Void) async throws -> (Bool, String) {
        try FileManager.default.createDirectory(atPath: runRoot, withIntermediateDirectories: true)
        let tail = TailBuffer()
        let configuration = Configuration(
            executable: .path(FilePath(executable)), arguments: Arguments(globalArguments + arguments),
            environment: .custom(environment))
        let result = try await withThrowingTaskGroup(of: TerminationStatus?.self) { group in
            group.addTask {
                try await Subprocess.run(configuration, input: .none, output: .sequence, error: .combinedWithOutput) { execution in
                    for try await chunk in execution.standardOutput {
                        let data = chunk.withUnsafeBytes { Data($0) }
                        tail.append(data)
                        output(data)
                    }
                }.terminationStatus
            }
            group.addTask {
                try? await Task.sleep(for: timeLimit)
                return nil
            }
            let first = try await group.next() ?? nil
            group.cancelAll()
            return first
        }
        guard let result else { return (false, tail.text + "\n(timed out)") }
        return (result.isSuccess, tail.text)
    }

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
