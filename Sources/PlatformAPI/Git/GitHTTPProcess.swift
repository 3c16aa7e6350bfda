import Foundation
import Hummingbird
import NIOCore
import OpenrukoCore
import Subprocess

#if canImport(System)
    import System
#else
    import SystemPackage
#endif

/// One git service behind a smart HTTP request, run as a host process exactly as the SSH
/// front end runs it (`GitService.invocation`, spawned without a shell in its own process
/// group, SIGTERM to the group then SIGKILL after 5 s when the client goes away). The request
/// body streams into git's stdin (through `gzip -dc` when git compressed it) and git's stdout
/// streams into the response, both with backpressure: memory stays bounded whatever the size.
///
/// ```swift
/// let process = GitHTTPProcess(invocation: invocation)
/// try await process.run(input: request.body, gzip: false) { chunk in try await writer.write(chunk) }
/// ```
struct GitHTTPProcess: Sendable {
    /// What to exec (the repository path is the only request-derived argument, validated).
    let invocation: GitService.Invocation

    /// The gzip program that inflates compressed request bodies.
    static let gzip = "/bin/gzip"

    /// The environment git gets: the daemon's own (fixed when it started, as over SSH, so a
    /// push builds with the admin's settings) plus the invocation's variables. Nothing of the
    /// request reaches it: `GIT_PROTOCOL` is one of our constants (`GitHTTPProtocol`).
    func environment(gitProtocol: String?) -> Subprocess.Environment {
        var updates: [Subprocess.Environment.Key: String?] = [:]
        for (name, value) in invocation.environment { updates[Subprocess.Environment.Key(stringLiteral: name)] = value }
        updates["GIT_PROTOCOL"] = gitProtocol
        return Subprocess.Environment.inherit.updating(updates)
    }

    /// The process options of every git run: its own process group, stopped as a group.
    static var options: PlatformOptions {
        var options = PlatformOptions()
        options.processGroupID = 0
        options.teardownSequence = [.send(signal: .terminate, toProcessGroup: true, allowedDurationToNextStep: .seconds(5))]
        return options
    }

    /// Runs git with `input` (nil: none) on its stdin, handing each chunk of its stdout to
    /// `write` as it comes.
    /// - Parameters:
    ///   - gzip: whether `input` is gzip-compressed (`Content-Encoding: gzip`).
    ///   - gitProtocol: the constant `GIT_PROTOCOL` to set, if any.
    /// - Throws: when git cannot start, or `write` fails (the client left: git is stopped).
    func run(
        input: RequestBody?, gzip: Bool, gitProtocol: String? = nil, write: (ByteBuffer) async throws -> Void
    ) async throws {
        let executable = Executable.path(FilePath(invocation.executable))
        let arguments = Arguments(invocation.arguments)
        let environment = environment(gitProtocol: gitProtocol)
        guard gzip, let input else {
            _ = try await Subprocess.run(
                executable, arguments: arguments, environment: environment, platformOptions: Self.options,
                input: .inputWriter, output: .sequence, error: .discarded
            ) { execution in
                let stdin = execution.standardInputWriter
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { try await Self.pump(input, into: stdin) }
                    try await Self.forward(execution, write: write)
                    try await group.waitForAll()
                }
            }
            return
        }
        // gzip -dc between the body and git: its stdout is git's stdin.
        let pipe = try FileDescriptor.pipe()
        for end in [pipe.readEnd, pipe.writeEnd] { _ = fcntl(end.rawValue, F_SETFD, FD_CLOEXEC) }
        _ = try await Subprocess.run(
            executable, arguments: arguments, environment: environment, platformOptions: Self.options,
            input: .fileDescriptor(pipe.readEnd, closeAfterSpawningProcess: true), output: .sequence, error: .discarded
        ) { execution in
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    _ = try await Subprocess.run(
                        .path(FilePath(Self.gzip)), arguments: ["-dc"], environment: .custom(Self.hostEnvironment),
                        platformOptions: Self.options, input: .inputWriter,
                        output: .fileDescriptor(pipe.writeEnd, closeAfterSpawningProcess: true), error: .discarded
                    ) { gunzip in
                        try await Self.pump(input, into: gunzip.standardInputWriter)
                    }
                }
                try await Self.forward(execution, write: write)
                try await group.waitForAll()
            }
        }
    }

    /// The fixed environment of helper programs (no daemon or request variables at all).
    static let hostEnvironment: [Subprocess.Environment.Key: String] = ["PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"]

    /// Streams `input` into a process's stdin, then closes it. On a failed read (the client
    /// left mid-body) stdin is closed anyway, so the process sees a short input and ends.
    private static func pump(_ input: RequestBody?, into stdin: StandardInputWriter) async throws {
        do {
            if let input {
                for try await buffer in input {
                    _ = try await stdin.write(Array(buffer.readableBytesView))
                }
            }
            try await stdin.finish()
        } catch {
            try? await stdin.finish()
            throw error
        }
    }

    /// Hands git's stdout to `write` chunk by chunk. When `write` fails (the client is gone)
    /// git's process group gets SIGTERM, so that nothing waits on a pipe nobody reads, and the
    /// error goes on (Subprocess then finishes the teardown with SIGKILL after 5 s).
    private static func forward<Input: InputProtocol>(
        _ execution: Execution<Input, SequenceOutput, DiscardedOutput>, write: (ByteBuffer) async throws -> Void
    ) async throws {
        do {
            for try await chunk in execution.standardOutput {
                try await write(ByteBuffer(bytes: Data(buffer: chunk)))
            }
        } catch {
            try? execution.send(signal: .terminate, toProcessGroup: true)
            throw error
        }
    }
}
