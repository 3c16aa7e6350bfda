import Foundation
import OpenrukoCore
import TestSupport

/// A small stack (python3 to run, git to build) built once by a real daemon at its first start
/// (`OPENRUKO_DEFAULT_STACK`) into `.build/stack-cache/KEY` (KEY: the package lists and the recipe's revision), so
/// later runs reuse it; each test daemon gets hard links of it.
enum TestStack {
    static let name = "teststack"
    static let environment = [StackRecipe.runPackagesVariable: "python3", StackRecipe.buildPackagesVariable: "git"]

    /// `.build/stack-cache/KEY/data`, a data directory holding the stack.
    static var cache: String {
        let lists = [StackRecipe.runPackagesVariable, StackRecipe.buildPackagesVariable].map { environment[$0] ?? "" }
        let key = "r2-run-" + lists[0].replacingOccurrences(of: " ", with: "_") + "-build-" + lists[1].replacingOccurrences(of: " ", with: "_")
        return OpenrukoBinary.packageRoot + "/.build/stack-cache/\(key)/data"
    }

    private static let built = BuildOnce()

    /// Builds the cached stack unless it is there, the way a new server gets its default stack:
    /// a daemon started with `OPENRUKO_DEFAULT_STACK` builds it at its first start, saying so
    /// in its log (the same `stacks:build` code as `openruko admin stacks:build`).
    static func prepare() async throws {
        try await built.run {
            let layout = DataLayout(root: cache)
            if StackCatalog(layout: layout).version(name) != nil { return }
            try FileManager.default.createDirectory(atPath: cache, withIntermediateDirectories: true)
            let daemon = RunningDaemon(
                dataDir: cache, environment: RunningDaemon.testEnvironment.merging(environment) { _, new in new }
                    .merging([StackCatalog.defaultVariable: name]) { _, new in new })
            try await daemon.start()
            // Builds take about a minute here; 15 minutes is a hung build.
            for _ in 0..<1800 where StackCatalog(layout: layout).version(name) == nil {
                if daemon.printed.contains("Could not build the default stack") { break }
                try await Task.sleep(for: .milliseconds(500))
            }
            try await Task.sleep(for: .milliseconds(500))  // the "is built" line follows the version file
            await daemon.stop()
            let log = daemon.printed
            guard StackCatalog(layout: layout).version(name) != nil else { throw TestFailure("the daemon did not build the stack:\n\(log)") }
            guard log.contains("Building the default stack \(name)"), log.contains("stack \(name): -----> Building the build image"),
                log.contains("The default stack \(name) is built")
            else { throw TestFailure("the daemon's log says nothing of its stack build:\n\(log)") }
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
