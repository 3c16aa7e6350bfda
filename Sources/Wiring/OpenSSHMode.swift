import AppLogs
import Commands
import Foundation
package import OpenrukoCore
import Operations
import SSHFrontend
import Subprocess

#if canImport(System)
    import System
#else
    import SystemPackage
#endif

/// OpenSSH mode, for admins who keep port 22 on sshd (DESIGN.md §2.1): sshd asks
/// `openruko authorized-keys %u %t %k` whether a key may log in, and runs the forced
/// `openruko ssh-command --key-id ID` with the client's command in `SSH_ORIGINAL_COMMAND`,
/// which is dispatched exactly like the embedded server does. One-off dynos run in the
/// daemon: this process carries their bytes over its rendezvous listener (`ControlClient`),
/// with sshd's terminal in raw mode when there is one.
package enum OpenSSHMode {
    /// The `authorized_keys` line for a registered key, or nil (sshd then refuses it).
    /// - Parameters:
    ///   - type: `%t`, the key's algorithm; `key`: `%k`, its base64 blob.
    package static func authorizedKeys(type: String, key: String, layout: DataLayout) -> String? {
        guard let parsed = try? PublicKey(parsing: "\(type) \(key)"),
            let installation = try? Installation.open(layout),
            let found = try? installation.platform.key(fingerprint: parsed.fingerprint)
        else { return nil }
        let api = DaemonInfo.read(layout)?.api.flatMap { try? ListenAddress(parsing: $0, option: "api") }
        return AuthorizedKeysLine.render(key: found.0, executable: Resources.executablePath, dataDir: layout.root, api: api)
    }

    /// Runs the client's command as the user of key `keyID`; returns the exit status.
    package static func sshCommand(keyID: String, layout: DataLayout, environment: [String: String]) async -> Int32 {
        let io = StandardIO()
        let installation: Installation
        let logs: any LogReader
        let forwarder: LogForwarder
        do {
            (installation, logs, forwarder) = try Installation.openClient(layout, environment: environment)
        } catch {
            io.writeError(" !     \(error.message)\n")
            return 1
        }
        guard let id = UUID(uuidString: keyID), let (_, user) = try? installation.platform.key(id: id) else {
            io.writeError(" !     This key is no longer registered.\n")
            return 1
        }
        guard let command = environment["SSH_ORIGINAL_COMMAND"] else {
            io.writeError(" !     Hi \(user.email)! \(ExecDispatcher.noShell)\n")
            return 1
        }
        let resources: Resources
        do {
            resources = try Resources.locate()
        } catch {
            io.writeError(" !     \(error.message)\n")
            return 1
        }
        let dispatcher = ExecDispatcher(platform: installation.platform, resources: resources)
        let program = dispatcher.program(
            for: ExecRequest(parsing: command), as: user, gitProtocol: environment["GIT_PROTOCOL"])
        switch program {
        case .refusal(let message):
            io.writeError(" !     \(message)\n")
            return 1
        case .command(let words):
            // `run` on sshd's terminal (`ssh -t`): the dyno gets a PTY of its size, the
            // terminal goes raw meanwhile. Anything else keeps the terminal as it is.
            let runsADyno = words.first == "run" || words.first == "run:inside"
            var terminal: ForcedCommandTerminal?
            if runsADyno { terminal = await ForcedCommandTerminal.open(term: environment["TERM"]) }
            let context = CommandContext(
                platform: installation.platform, principal: .user(user), io: io, logs: logs, terminal: terminal?.window)
            let status = await CommandTable.standard.run(words, in: context)
            await terminal?.restore()
            await forwarder.finish()
            return status
        case .git(let invocation):
            return await runGit(invocation, io: io)
        }
    }

    /// git with this process's stdin, stdout and stderr (sshd's pipes).
    private static func runGit(_ invocation: GitService.Invocation, io: StandardIO) async -> Int32 {
        var updates: [Environment.Key: String?] = [:]
        for (name, value) in invocation.environment { updates[Environment.Key(stringLiteral: name)] = value }
        do {
            let result = try await Subprocess.run(
                .path(FilePath(invocation.executable)), arguments: Arguments(invocation.arguments),
                environment: .inherit.updating(updates),
                input: .fileDescriptor(.standardInput, closeAfterSpawningProcess: false),
                output: .fileDescriptor(.standardOutput, closeAfterSpawningProcess: false),
                error: .fileDescriptor(.standardError, closeAfterSpawningProcess: false))
            switch result.terminationStatus {
            case .exited(let code): return code
            case .signaled(let signal): return 128 + signal
            }
        } catch {
            io.writeError(" !     Cannot start git: \(error)\n")
            return 127
        }
    }
}
