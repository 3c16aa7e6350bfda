import Commands
import Foundation
import LibSSH
import OpenrukoCore
import Subprocess
import Synchronization

#if canImport(System)
    import System
#else
    import SystemPackage
#endif

/// A program behind a channel: its three pipe ends (ours: stdin to write, stdout and
/// stderr to read, all nonblocking) and its exit status once it ends. git is spawned
/// with swift-subprocess in its own process group; commands run in-process on the same
/// kind of pipes. Either way `wake` is signalled when the status is known.
final class RunningProgram: Sendable {
    /// Where client data goes.
    let stdin: Int32
    /// What goes to the client's stdout.
    let stdout: Int32
    /// What goes to the client's stderr.
    let stderr: Int32
    private let status = Mutex<Int32?>(nil)
    private let task = Mutex<Task<Void, Never>?>(nil)

    /// The kernel pipe buffer for program stdin and stdout: fewer wake-ups per megabyte,
    /// small enough that many sessions stay under the per-user pipe budget
    /// (`/proc/sys/fs/pipe-user-pages-soft`, 64 MiB), past which Linux shrinks new pipes.
    static let pipeSize = 256 << 10

    private init(stdin: Int32, stdout: Int32, stderr: Int32) {
        self.stdin = stdin
        self.stdout = stdout
        self.stderr = stderr
    }

    /// The exit status, once the program ended (128+N for a signal).
    var exitStatus: Int32? { status.withLock { $0 } }

    /// Stops the program: git gets SIGTERM on its process group, then SIGKILL after 5 s;
    /// a command is cancelled. Its pipes close as it ends.
    func terminate() {
        task.withLock { $0?.cancel() }
    }

    /// Starts `program`.
    /// - Parameters:
    ///   - context: the command context to run table commands with, given their streams.
    /// - Throws: `SSHError` when no pipe can be created.
    static func start(
        _ program: Program, table: CommandTable, context: @escaping @Sendable (any CommandIO) -> CommandContext,
        wake: WakeSignal
    ) throws(SSHError) -> RunningProgram {
        switch program {
        case .git(let invocation):
            return try spawn(invocation, wake: wake)
        case .command(let words):
            return try inProcess(wake: wake) { io in await table.run(words, in: context(io)) }
        case .refusal(let message):
            return try inProcess(wake: wake) { io in
                io.writeError(" !     \(message)\n")
                return 1
            }
        }
    }

    private static func makePipes() throws(SSHError) -> (PipePair, PipePair, PipePair) {
        var made: [PipePair] = []
        do {
            made.append(try PipePair(size: pipeSize))
            made.append(try PipePair(size: pipeSize))
            made.append(try PipePair())
        } catch {
            for pipe in made { [pipe.readEnd, pipe.writeEnd].forEach(Descriptor.close) }
            throw error
        }
        return (made[0], made[1], made[2])
    }

    private static func ours(_ input: PipePair, _ output: PipePair, _ errors: PipePair) -> RunningProgram {
        [input.writeEnd, output.readEnd, errors.readEnd].forEach(Descriptor.setNonBlocking)
        return RunningProgram(stdin: input.writeEnd, stdout: output.readEnd, stderr: errors.readEnd)
    }

    private func finish(_ code: Int32, wake: WakeSignal) {
        status.withLock { $0 = code }
        wake.signal()
    }

    /// Runs a command of the table (or a refusal) in-process on pipes.
    private static func inProcess(
        wake: WakeSignal, body: @escaping @Sendable (PipeCommandIO) async -> Int32
    ) throws(SSHError) -> RunningProgram {
        let (input, output, errors) = try makePipes()
        let program = ours(input, output, errors)
        let io = PipeCommandIO(stdin: input.readEnd, stdout: output.writeEnd, stderr: errors.writeEnd)
        program.task.withLock { task in
            task = Task.detached {
                let code = await body(io)
                // Stopped (its client gone, the daemon stopping): what is left may never be read.
                if Task.isCancelled { io.abandon() } else { await io.finish() }
                program.finish(code, wake: wake)
            }
        }
        return program
    }

    /// Spawns git with the child's ends of the pipes as its stdio.
    private static func spawn(_ invocation: GitService.Invocation, wake: WakeSignal) throws(SSHError) -> RunningProgram {
        let (input, output, errors) = try makePipes()
        let program = ours(input, output, errors)
        let childEnds = [input.readEnd, output.writeEnd, errors.writeEnd]
        var options = PlatformOptions()
        options.processGroupID = 0
        options.teardownSequence = [.send(signal: .terminate, toProcessGroup: true, allowedDurationToNextStep: .seconds(5))]
        var updates: [Environment.Key: String?] = [:]
        for (name, value) in invocation.environment { updates[Environment.Key(stringLiteral: name)] = value }
        let environment = Environment.inherit.updating(updates)
        let platformOptions = options
        let handedOver = HandOver()
        program.task.withLock { task in
            task = Task.detached {
                let code: Int32
                do {
                    let result = try await Subprocess.run(
                        .path(FilePath(invocation.executable)), arguments: Arguments(invocation.arguments),
                        environment: environment, platformOptions: platformOptions,
                        input: .fileDescriptor(FileDescriptor(rawValue: childEnds[0]), closeAfterSpawningProcess: false),
                        output: .fileDescriptor(FileDescriptor(rawValue: childEnds[1]), closeAfterSpawningProcess: false),
                        error: .fileDescriptor(FileDescriptor(rawValue: childEnds[2]), closeAfterSpawningProcess: false)
                    ) { _ in
                        // Spawned: the child has its copies; ours must go so EOF can arrive.
                        childEnds.forEach(Descriptor.close)
                        handedOver.done.withLock { $0 = true }
                    }
                    switch result.terminationStatus {
                    case .exited(let value): code = value
                    case .signaled(let signal): code = 128 + signal
                    }
                } catch {
                    if !handedOver.done.withLock({ $0 }) {
                        // Not spawned: the ends are still ours. Say why on the client's stderr.
                        _ = try? Descriptor.writeSome(childEnds[2], Array(" !     Cannot start git: \(error)\n".utf8))
                        childEnds.forEach(Descriptor.close)
                    }
                    code = 127
                }
                program.finish(code, wake: wake)
            }
        }
        return program
    }
}

/// Whether the child's pipe ends were handed over to a spawned git (then they are closed).
private final class HandOver: Sendable {
    let done = Mutex(false)
}
