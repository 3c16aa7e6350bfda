import AppLogs
package import Builder
import Foundation
package import OpenrukoCore
import Isolation

/// `openruko hook pre-receive`: the build of a push, run by git's pre-receive hook with the
/// environment `GitService.invocation` set (`OPENRUKO_DATA_DIR`, `OPENRUKO_ROOT`,
/// `OPENRUKO_APP`, `OPENRUKO_PUSHER`).
package enum HookRunner {
    /// Runs the hook and returns its exit status.
    package static func preReceive(environment: [String: String] = ProcessInfo.processInfo.environment) async -> Int32 {
        let stderr = FileHandle.standardError
        guard let root = environment["OPENRUKO_DATA_DIR"], root.hasPrefix("/") else {
            stderr.write(Data(" !     openruko hook pre-receive runs inside a push to openruko (OPENRUKO_DATA_DIR is not set).\n".utf8))
            return 1
        }
        ReceivePackLock.keepFromChildren(environment: environment)
        let input = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
        do {
            let limits = try ProcessCgroup.Limits.build(environment: environment)
            let cgroup = ProcessCgroup.enter(name: "openruko-build-\(getpid())", limits: limits, group: "openruko-builds")
            defer { cgroup?.leave() }
            let (installation, _, forwarder) = try Installation.openClient(DataLayout(root: root), environment: environment)
            let pipeline = try installation.buildPipeline(environment: environment)
            let status = await PreReceiveHook(pipeline: pipeline).run(input: input, environment: environment) { data in
                stderr.write(data)
            }
            if status != 0, cgroup?.ranOutOfMemory == true {
                stderr.write(Data(" !     The build ran out of memory: builds may use \(limits.memoryBytes >> 20) MB (OPENRUKO_BUILD_MEMORY).\n".utf8))
            }
            await forwarder.finish()
            return status
        } catch {
            let message = (error as? OpenrukoError)?.message ?? "\(error)"
            stderr.write(Data(" !     \(message)\n !     Push failed\n".utf8))
            return 1
        }
    }
}

extension Installation {
    /// The build pipeline of this data directory (bundled buildpacks from `Resources`,
    /// limits from `OPENRUKO_SLUG_MAX_BYTES`/`OPENRUKO_COMPILE_TIMEOUT`, the sandbox user).
    /// - Throws: `OpenrukoError` when the project root, bubblewrap or a setting is missing.
    package func buildPipeline(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> BuildPipeline {
        // Untyped on purpose: a large struct returned through typed throws from here was
        // miscompiled (garbage copy) in the async caller with Swift 6.3.
        let resources = try Resources.locate(environment: environment)
        let settings = try BuildSettings.from(environment: environment)
        let sandbox = try Sandbox.networked(stateDirectory: layout.run + "/sandbox", environment: environment)
        return BuildPipeline(
            platform: platform, resources: resources, settings: settings, sandbox: sandbox,
            containerBuilder: BuildahBuilder(
                layout: layout, timeLimit: settings.compileTimeout, growthLimit: settings.imageBuildMaxBytes,
                driver: settings.containerStorageDriver))
    }

    /// The `BuildService` (source-tarball builds, live build output) for the API.
    package func buildService(
        environment: [String: String] = ProcessInfo.processInfo.environment, tasks: BuildTasks = BuildTasks()
    ) throws -> any BuildService {
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var childEnvironment = environment
        childEnvironment["OPENRUKO_DATA_DIR"] = layout.root
        childEnvironment["OPENRUKO_ROOT"] = try Resources.locate(environment: environment).root
        return Builds(
            pipeline: try buildPipeline(environment: environment),
            process: BuildProcess(executable: executable, environment: childEnvironment), tasks: tasks)
    }
}
