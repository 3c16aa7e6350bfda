import Foundation
import OpenrukoCore
import Subprocess
import SystemPackage

/// Runs one PostgreSQL tool (`initdb`, `pg_ctl`, `psql`, `pg_dump`, `openssl`) as a host
/// process with a fixed environment, optionally as another user (`runuser -u USER --`, when
/// openruko is root: the server refuses to run as root). Input goes through stdin (passwords
/// never reach an argv, which every local user may read).
struct PostgresCommand: Sendable {
    /// The result of a run: whether it exited 0, its output and its error text.
    struct Result: Sendable {
        var ok: Bool
        var output: String
        var error: String
    }

    static let environment: [Environment.Key: String] = [
        "PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8", "PGCONNECT_TIMEOUT": "10",
    ]

    /// Runs `argv` (as `user` when given), feeding `input` on stdin; `outputFile`, when given,
    /// receives the standard output instead of the result; `extra` adds to the environment
    /// (`PGPASSWORD`: never in argv).
    static func run(
        _ argv: [String], as user: String? = nil, input: String = "", outputFile: FileDescriptor? = nil,
        environment extra: [String: String] = [:]
    ) async throws(OpenrukoError) -> Result {
        var environment = Self.environment
        for (key, value) in extra { if let key = Environment.Key(rawValue: key) { environment[key] = value } }
        let command = (user.map { ["/usr/sbin/runuser", "-u", $0, "--"] } ?? []) + argv
        do {
            let executable = Executable.path(FilePath(command[0]))
            let arguments = Arguments(Array(command.dropFirst()))
            if let outputFile {
                let result = try await Subprocess.run(
                    executable, arguments: arguments, environment: .custom(environment), workingDirectory: FilePath("/"), input: .string(input),
                    output: .fileDescriptor(outputFile, closeAfterSpawningProcess: false), error: .string(limit: 64 << 10))
                return Result(ok: result.terminationStatus.isSuccess, output: "", error: result.standardError)
            }
            let result = try await Subprocess.run(
                executable, arguments: arguments, environment: .custom(environment), workingDirectory: FilePath("/"), input: .string(input),
                output: .string(limit: 1 << 20), error: .string(limit: 64 << 10))
            return Result(ok: result.terminationStatus.isSuccess, output: result.standardOutput, error: result.standardError)
        } catch {
            throw OpenrukoError(
                .unavailable, "Cannot run \(argv[0]): \(error). "
                    + "Install postgresql and openssl (scripts/install-deps).")
        }
    }

    /// A PostgreSQL program from the newest installed version (`/usr/lib/postgresql/N/bin`).
    static func binary(_ name: String) -> String {
        let base = "/usr/lib/postgresql"
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: base)) ?? []).compactMap(Int.init).sorted()
        for version in versions.reversed() where FileManager.default.isExecutableFile(atPath: "\(base)/\(version)/bin/\(name)") {
            return "\(base)/\(version)/bin/\(name)"
        }
        return "/usr/bin/\(name)"
    }
}
