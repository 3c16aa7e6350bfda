import ArgumentParser
import Commands
import Wiring
import Foundation
import OpenrukoCore
import Crypto

/// `openruko-ssh-testserver`: the real daemon with test-only commands added to its command
/// table, for the SSH pump tests and `scripts/bench/ssh`. The production table has none of
/// these commands.
@main
struct TestServer: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "openruko-ssh-testserver", abstract: "openruko daemon plus test-only commands (cat, sha256, readfile).",
        subcommands: [Serve.self, SeedKeys.self, Hook.self], defaultSubcommand: Serve.self)
}

/// `hook pre-receive`, `hook reference-transaction` and `hook receive-pack`: what a push runs
/// (`OPENRUKO_BIN` is this binary).
struct Hook: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hook", subcommands: [PreReceive.self, ReferenceTransaction.self, ReceivePack.self])

    struct ReceivePack: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "receive-pack")
        @Argument(parsing: .captureForPassthrough) var command: [String] = []

        func run() throws {
            throw ExitCode(ReceivePackRunner.receivePack(command))
        }
    }

    struct ReferenceTransaction: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "reference-transaction")
        @Argument var state: String

        func run() async throws {
            await ReceivePackRunner.referenceTransaction(state: state)
        }
    }

    struct PreReceive: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "pre-receive")

        func run() async throws {
            let status = await HookRunner.preReceive()
            if status != 0 { throw ExitCode(status) }
        }
    }
}

/// The commands added to the production table.
let testCommands: [any TableCommand.Type] = [Cat.self, SHA256Sum.self, ReadFile.self]

/// `serve`: `openruko daemon` with the test commands in the table.
struct Serve: AsyncParsableCommand {
    @Option var dataDir: String?
    @Option var sshListen: String?
    @Option var apiListen: String?
    @Option var routerListen: String?
    @Option var domain: String?

    func run() async throws {
        do {
            let configuration = try DaemonConfiguration.resolve(
                dataDir: dataDir, sshListen: sshListen, apiListen: apiListen, routerListen: routerListen, domain: domain)
            try await Daemon(configuration: configuration, commandTable: .standard.adding(testCommands)).run()
        } catch let error as OpenrukoError {
            throw ValidationError(error.message)
        }
    }
}

/// `cat`: copies stdin to stdout through the streaming `CommandIO` calls, so its bytes take
/// the same pipes and the same channel pump as git's.
struct Cat: TableCommand {
    static let configuration = CommandConfiguration(commandName: "cat", abstract: "Test only: copy stdin to stdout.")

    func execute(in context: CommandContext) async throws {
        while let chunk = await context.io.read() {
            try await context.io.send(chunk)
        }
    }
}

/// `sha256 [--slow]`: reads stdin to EOF through the streaming calls and prints its SHA-256
/// (hex), for byte-exact uploads. `--slow` pauses 300 ms every 8 MiB and `--start-delay`
/// reads nothing at first, so the client's bytes pile up in the server (held against the
/// window) and its EOF arrives while they wait.
struct SHA256Sum: TableCommand {
    static let configuration = CommandConfiguration(commandName: "sha256", abstract: "Test only: SHA-256 of stdin.")
    @Flag var slow = false
    @Option(help: "Milliseconds to wait before reading anything.") var startDelay = 0

    func execute(in context: CommandContext) async throws {
        if startDelay > 0 { try await Task.sleep(for: .milliseconds(startDelay)) }
        var hasher = SHA256()
        var count = 0
        var pause = 8 << 20
        while let chunk = await context.io.read() {
            hasher.update(data: chunk)
            count += chunk.count
            if slow && count >= pause {
                pause += 8 << 20
                try await Task.sleep(for: .milliseconds(300))
            }
        }
        context.io.write(hasher.finalize().map { String(format: "%02x", $0) }.joined() + "\n")
    }
}

/// `readfile PATH`: sends a file's bytes through the streaming calls, for byte-exact downloads.
struct ReadFile: TableCommand {
    static let configuration = CommandConfiguration(commandName: "readfile", abstract: "Test only: send a file.")
    @Argument var path: String

    func execute(in context: CommandContext) async throws {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw OpenrukoError(.notFound, "No file \(path).") }
        defer { try? handle.close() }
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
            try await context.io.send(chunk)
        }
    }
}
