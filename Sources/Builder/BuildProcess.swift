package import Foundation
package import OpenrukoCore
import Subprocess
import SystemPackage

/// Runs one API (source tarball) build in its own process, `openruko hook source-build`, like a
/// push's build runs in git's hook: a build, and whatever its input makes the parser or the
/// buildpack steps do, never grows or crashes the daemon. The child writes the build's log
/// and record itself; a child that dies without finishing the record gets it marked failed.
package struct BuildProcess: Sendable {
    /// The `openruko` executable.
    package var executable: String
    /// The child's environment: the daemon's own (no app value is ever in it) and where
    /// the data directory and the project root are.
    package var environment: [String: String]

    package init(executable: String, environment: [String: String]) {
        self.executable = executable
        self.environment = environment
    }

    /// The arguments of the child for `request`'s build of `tarball`.
    static func arguments(buildID: UUID, tarball: String, buildpacks: [String]?) -> [String] {
        var arguments = ["hook", "source-build", "--build", buildID.uuidString.lowercased(), "--tarball", tarball]
        for buildpack in buildpacks ?? [] { arguments += ["--buildpack", buildpack] }
        if buildpacks?.isEmpty == true { arguments.append("--no-buildpacks") }
        return arguments
    }

    /// Runs the child to its end.
    /// - Returns: its exit status (nil when it could not start), and what it printed last.
    func run(buildID: UUID, tarball: String, buildpacks: [String]?) async -> (status: Int32?, output: String) {
        var values: [Environment.Key: String] = [:]
        for (key, value) in environment {
            if let key = Environment.Key(rawValue: key) { values[key] = value }
        }
        // Cancelled (a shutdown): SIGTERM to the child, SIGKILL 10 s later.
        var options = PlatformOptions()
        options.teardownSequence = [.send(signal: .terminate, allowedDurationToNextStep: .seconds(10))]
        do {
            let result = try await Subprocess.run(
                .path(FilePath(executable)),
                arguments: Arguments(Self.arguments(buildID: buildID, tarball: tarball, buildpacks: buildpacks)),
                environment: .custom(values), platformOptions: options, input: .none, output: .string(limit: 64 * 1024),
                error: .string(limit: 64 * 1024))
            let status: Int32 =
                switch result.terminationStatus {
                case .exited(let code): code
                case .signaled(let signal): 128 + signal
                }
            return (status, (result.standardOutput ?? "") + (result.standardError ?? ""))
        } catch {
            return (nil, "\(error)")
        }
    }
}
