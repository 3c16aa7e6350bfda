import Foundation
import OpenrukoCore
import TestSupport

/// A small stack (python3 to run, git to build) built once with the real
/// `openruko admin stacks:build` into `.build/stack-cache/KEY` (KEY: the package lists and the recipe's revision), so
/// later runs reuse it; each test daemon gets hard links of it.
enum TestStack {
    static let name = "teststack"
    static let environment = [StackRecipe.runPackagesVariable: "python3", StackRecipe.buildPackagesVariable: "git"]

    /// `.build/stack-cache/KEY/data`, a data directory holding the stack.
    static var cache: String {
        let lists = [StackRecipe.runPackagesVariable, StackRecipe.buildPackagesVariable].map { environment[$0] ?? "" }
        let key = "r1-run-" + lists[0].replacingOccurrences(of: " ", with: "_") + "-build-" + lists[1].replacingOccurrences(of: " ", with: "_")
        return OpenrukoBinary.packageRoot + "/.build/stack-cache/\(key)/data"
    }

    private static let built = BuildOnce()

    /// Builds the cached stack unless it is there.
    static func prepare() async throws {
        try await built.run {
            let layout = DataLayout(root: cache)
            if StackCatalog(layout: layout).version(name) != nil { return }
            try FileManager.default.createDirectory(atPath: cache, withIntermediateDirectories: true)
            let result = try await ProcessRunner.run(
                OpenrukoBinary.path, ["admin", "--data-dir", cache, "stacks:build", name], environment: environment)
            guard result.status == 0 else { throw TestFailure("stacks:build failed:\n\(result.stdout)\(result.stderr)") }
            guard result.stdout.contains("Stack \(name) is ready"), result.stdout.contains("-----> Building the build image") else {
                throw TestFailure("stacks:build said no progress:\n\(result.stdout)")
            }
        }
    }

    /// Installs the stack into `dataDir` as `as` (hard links; only the version file is new).
    static func install(into dataDir: String, as stackName: String = name) async throws {
        try await prepare()
        let layout = DataLayout(root: dataDir)
        try FileManager.default.createDirectory(atPath: layout.stacks, withIntermediateDirectories: true)
        chmod(layout.stacks, 0o711)
        let copy = try await ProcessRunner.run("/bin/cp", ["-al", DataLayout(root: cache).stack(name), layout.stack(stackName)])
        guard copy.status == 0 else { throw TestFailure("cannot copy the stack: \(copy.stderr)") }
        let versionFile = layout.stack(stackName) + "/version"
        guard var version = FileManager.default.contents(atPath: versionFile).flatMap(StackVersion.init(json:)) else {
            throw TestFailure("no version file in the cached stack")
        }
        version.name = stackName
        try FileManager.default.removeItem(atPath: versionFile)
        try version.json().write(to: URL(fileURLWithPath: versionFile))
        chmod(versionFile, 0o644)
    }

    /// Every file under `usr/bin` and `etc` of both images: path, size, mode and time.
    static func fingerprint(_ dataDir: String, _ stackName: String = name) -> [String: String] {
        var prints: [String: String] = [:]
        for image in ["run", "build"] {
            for top in ["usr/bin", "etc"] {
                let base = DataLayout(root: dataDir).stack(stackName) + "/\(image)/\(top)"
                for entry in FileManager.default.enumerator(atPath: base)?.allObjects as? [String] ?? [] {
                    let attributes = (try? FileManager.default.attributesOfItem(atPath: base + "/" + entry)) ?? [:]
                    prints["\(image)/\(top)/\(entry)"] = "\(attributes[.size] ?? "") \(attributes[.posixPermissions] ?? "") "
                        + "\(attributes[.modificationDate] ?? "") \(attributes[.ownerAccountID] ?? "")"
                }
            }
        }
        return prints
    }
}

/// Runs a piece of work once per process; later callers wait for it.
actor BuildOnce {
    private var task: Task<Void, any Error>?

    func run(_ work: @escaping @Sendable () async throws -> Void) async throws {
        if task == nil { task = Task { try await work() } }
        try await task!.value
    }
}
