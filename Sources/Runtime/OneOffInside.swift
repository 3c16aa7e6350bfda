import Foundation
import OpenrukoCore
import Isolation

/// `run:inside APP web.1 CMD` (Heroku Fir): a process started inside a running dyno, never on
/// the host: joined into the dyno's sandbox (its namespaces, root and cgroup, so its memory
/// counts against the dyno's limit) as the dyno's user, with the dyno's environment (plus the
/// request's own variables, under the platform's), on a PTY of the sandbox's own that follows
/// the client's window changes when the client has a terminal. It starts when its client
/// connects, ends when its command does, when its client hangs up, at its time limit, or with
/// the dyno.
///
/// ```swift
/// let inside = OneOffInside(driver: driver, target: target, host: host, attachment: attachment, command: "ls", env: [:])
/// let status = await inside.run(limit: .seconds(3600))
/// ```
struct OneOffInside: Sendable {
    let driver: DynoDriver
    let target: DynoDriver.InsideTarget
    let host: DynoHost
    let attachment: DynoAttachment
    let command: String
    let env: [String: String]

    /// Whether the joined process gets a PTY: its client has a terminal, and the dyno has
    /// `script` (a container image dyno has the host's bound in, `OneOffTerminal.Tools`).
    var hasTerminal: Bool {
        attachment.window != nil && (driver.spec.image == nil || OneOffTerminal.Tools.host() != nil)
    }

    /// The joined process's command: the dyno's launcher (profile scripts, then `bash -c`),
    /// or `/bin/sh -c` in a container image; on a PTY (util-linux `script` inside the sandbox)
    /// when `hasTerminal`, following the window changes that arrive on
    /// `SandboxJoin.resizeDescriptor` when `followsResizes`.
    func arguments(followsResizes: Bool = false) -> [String] {
        let image = driver.spec.image != nil
        let plain = image ? ["/bin/sh", "-c", command] : DynoEnvironment.launcher(command)
        guard hasTerminal, let window = attachment.window else { return plain }
        let terminal = OneOffTerminal(
            size: window.size, followsResizes: followsResizes, boundTools: image,
            resizeDescriptor: followsResizes ? SandboxJoin.resizeDescriptor : nil)
        return terminal.wrap(plain)
    }

    /// The joined process's environment: the dyno's, the request's variables where the
    /// platform sets none, and the client's terminal.
    func variables() -> [String: String] {
        var variables = driver.variables(instance: target.instance)
        let platform = DynoEnvironment(
            app: driver.spec.app, release: driver.spec.release, slug: driver.spec.slug, dyno: driver.spec.name, port: driver.port,
            instance: target.instance
        ).platform
        for (key, value) in env where platform[key] == nil && key != "HOME" { variables[key] = value }
        if hasTerminal, let window = attachment.window {
            variables["COLUMNS"] = String(window.size.columns)
            variables["LINES"] = String(window.size.lines)
            variables["TERM"] = window.term ?? variables["TERM"] ?? "dumb"
        }
        return variables
    }

    /// Waits for the client, runs the process to its end and reports its exit status to the
    /// client (1 when it could not start).
    func run(limit: Duration) async {
        let name = driver.spec.name
        let appID = driver.spec.app.id
        guard await attachment.waitForConnection(timeout: host.settings.rendezvousTimeout) else {
            host.logs.emit(LogLine(appID: appID, source: "heroku", process: name, message: "Nobody attached; run:inside not started"))
            attachment.finish(status: 1)
            return
        }
        let identity = host.sandbox.identity.forApp(uid: driver.spec.app.sandboxUID)
        // Window changes: a FIFO of openruko's in the dyno's instance directory (listened to
        // before the size is read, so a change meanwhile is not lost).
        var resizes: OneOffResizeChannel?
        if hasTerminal, let window = attachment.window {
            resizes = try? OneOffResizeChannel(
                directory: host.filesystem.directory(target.instance), name: "winsize-" + UUID().uuidString.lowercased(), identity: identity)
            if let resizes { window.onResize { resizes.send($0) } }
        }
        defer {
            attachment.window?.onResize(nil)
            resizes?.close()
        }
        var join = SandboxJoin(
            bubblewrapPID: target.bubblewrapPID, command: arguments(followsResizes: resizes != nil), environment: variables(),
            workingDirectory: driver.spec.image?.workingDirectory ?? "/app")
        join.cgroupProcs = target.cgroupProcs
        join.gracePeriod = host.settings.stopGrace
        join.resizes = resizes?.path
        let attachment = attachment
        let sandbox = host.sandbox
        let work = Task { () -> Int32 in
            do {
                let result = try await sandbox.join(join, identity: identity, input: attachment.input) { data in
                    await attachment.output.send(Array(data))
                }
                switch result.termination {
                case .exited(let code): return code
                case .signaled(let signal): return 128 + signal
                }
            } catch {
                await attachment.output.send(Array("\((error as? OpenrukoError)?.message ?? "\(error)")\r\n".utf8))
                return 1
            }
        }
        attachment.onHangUp { work.cancel() }
        let timer = Task {
            try? await Task.sleep(for: limit)
            guard !Task.isCancelled else { return }
            work.cancel()
        }
        let status = await work.value
        timer.cancel()
        attachment.finish(status: status)
    }
}
