package import Foundation
package import OpenrukoCore
package import Isolation

/// Slugs extracted once each (`DATA_DIR/run/runtime/slugs/ID`), owned by the sandbox user,
/// shared read-only by every dyno of a release: each dyno gets its own writable `/app` on top
/// (`DynoFilesystem`). Extraction runs `tar` inside the sandbox, fed the slug on stdin, so a
/// hostile archive can only write into its own tree.
package actor SlugTrees {
    package let sandbox: Sandbox
    /// `DATA_DIR/run/runtime`.
    package let root: String
    private var inFlight: [UUID: Task<String, any Error>] = [:]

    package init(sandbox: Sandbox, layout: DataLayout) {
        self.sandbox = sandbox
        root = layout.run + "/runtime"
    }

    var slugsDirectory: String { root + "/slugs" }

    /// The extracted tree of `slug` (extracting it first if needed).
    /// - Throws: `OpenrukoError` when the archive is missing or does not unpack.
    /// - Parameter identity: the app's identity, which owns the tree (nobody else can read it).
    package func tree(of slug: Slug, archive: String, identity: SandboxIdentity) async throws(OpenrukoError) -> String {
        let final = slugsDirectory + "/" + slug.id.uuidString.lowercased()
        if FileManager.default.fileExists(atPath: final) { return final }
        let task: Task<String, any Error>
        if let running = inFlight[slug.id] {
            task = running
        } else {
            let sandbox = sandbox
            let root = root
            task = Task {
                try await Self.extract(archive: archive, into: final, root: root, sandbox: sandbox, identity: identity)
            }
            inFlight[slug.id] = task
        }
        defer { inFlight[slug.id] = nil }
        do {
            return try await task.value
        } catch let error as OpenrukoError {
            throw error
        } catch {
            throw OpenrukoError(.internal, "Cannot unpack the slug: \(error)")
        }
    }

    /// Removes extracted trees that no release in `keep` and no dyno directory on disk uses.
    package func prune(keeping keep: Set<UUID>, inUse: Set<String>) {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: slugsDirectory)) ?? []
        for name in names where !name.hasPrefix(".") {
            guard let id = UUID(uuidString: name), !keep.contains(id), !inUse.contains(name), inFlight[id] == nil else { continue }
            try? FileManager.default.removeItem(atPath: slugsDirectory + "/" + name)
        }
    }

    static func extract(
        archive: String, into final: String, root: String, sandbox: Sandbox, identity: SandboxIdentity
    ) async throws -> String {
        let manager = FileManager.default
        guard manager.fileExists(atPath: archive) else {
            throw OpenrukoError(.notFound, "The slug archive \(archive) is missing.")
        }
        try DynoFilesystem.makePrivateDirectory(root)
        try DynoFilesystem.makePrivateDirectory(root + "/slugs")
        let partial = root + "/slugs/.partial-" + UUID().uuidString.lowercased()
        try manager.createDirectory(atPath: partial, withIntermediateDirectories: false)
        chmod(partial, 0o700)
        identity.own(partial)
        let output = OutputTail(limit: 20)
        let result = try await sandbox.run(
            SandboxConfiguration(
                command: ["/usr/bin/tar", "-xzf", "-", "-C", "/app", "--no-same-owner", "--delay-directory-restore"],
                environment: ["PATH": DynoEnvironment.path], app: .directory(partial), network: false,
                timeLimit: .seconds(600), gracePeriod: .seconds(1), input: archive, identity: identity)
        ) { output.append($0) }
        guard result.succeeded else {
            try? manager.removeItem(atPath: partial)
            throw OpenrukoError(.internal, "The slug does not unpack (\(result.summary)): \(output.lines.joined(separator: "\n"))")
        }
        chmod(partial, 0o755)
        if rename(partial, final) != 0 {
            try? manager.removeItem(atPath: partial)
            guard manager.fileExists(atPath: final) else {
                throw OpenrukoError(.internal, "Cannot move the unpacked slug into place: \(String(cString: strerror(errno)))")
            }
        }
        return final
    }
}
