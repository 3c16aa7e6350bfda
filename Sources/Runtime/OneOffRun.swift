package import Foundation
package import OpenrukoCore

/// The one code path of every one-off dyno, the release phase's (`release.N`) and
/// `heroku run`'s (`run.N`): a driver of kind `.oneOff` (never restarted) with a port, started
/// at once (detached) or when its client connects (attached; dropped unstarted when nobody
/// connects in time), stopped at its time limit or when its client hangs up, and waited for.
///
/// ```swift
/// let run = try await OneOffRun(spec: spec, host: host, attachment: nil) { _ in }
/// await run.run(limit: .seconds(3600)) { print("too long") }
/// let ok = await run.driver.completed
/// ```
package struct OneOffRun: Sendable {
    package let driver: DynoDriver
    let attachment: DynoAttachment?
    let host: DynoHost

    /// - Throws: `unavailable` when no dyno port is free.
    package init(
        spec: DynoSpec, host: DynoHost, attachment: DynoAttachment?, echo: (@Sendable (String) -> Void)? = nil,
        onChange: @escaping @Sendable (DynoStatus) -> Void
    ) async throws(OpenrukoError) {
        guard let port = await host.ports.allocate() else {
            throw OpenrukoError(.unavailable, "No free port is left for a one-off dyno (OPENRUKO_DYNO_PORTS).")
        }
        self.host = host
        self.attachment = attachment
        driver = DynoDriver(spec: spec, port: port, host: host, echo: echo, attachment: attachment, onChange: onChange)
    }

    /// Runs it to its end.
    /// - Parameters:
    ///   - limit: the longest it may live once started.
    ///   - overLimit: called when the limit stops it.
    package func run(limit: Duration, overLimit: @escaping @Sendable () -> Void = {}) async {
        if let attachment {
            let driver = driver
            guard await attachment.waitForConnection(timeout: host.settings.rendezvousTimeout) else {
                host.logs.emit(
                    LogLine(appID: driver.spec.app.id, source: "heroku", process: driver.spec.name, message: "Nobody attached; not started"))
                await driver.stop()
                return
            }
            attachment.onHangUp { Task { await driver.stop() } }
        }
        await driver.start()
        let driver = driver
        let timer = Task {
            try? await Task.sleep(for: limit)
            guard !Task.isCancelled else { return }
            overLimit()
            await driver.stop()
        }
        await driver.finish()
        timer.cancel()
    }
}
