package import AppLogs
import Foundation
package import OpenrukoCore
import Runtime

extension Installation {
    /// Opens the data directory for a process that is not the daemon (`openruko admin`, the
    /// git hook, `openruko ssh-command`): dynos are driven through the daemon's control
    /// socket, and the release phase runs here when no daemon runs. Log lines go to the
    /// daemon's store (or straight to the app's files when no daemon runs); call the
    /// forwarder's `finish()` before exiting.
    /// - Returns: the installation, the log reader (the daemon's, else the files), and the
    ///   log forwarder its platform writes to.
    package static func openClient(
        _ layout: DataLayout, environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(OpenrukoError) -> (Installation, any LogReader, LogForwarder) {
        let settings = try LogSettings.from(environment: environment)
        let forwarder = LogForwarder(layout: layout, settings: settings)
        let client = ControlClient(layout: layout, localLogs: LogFileReader(layout: layout)) {
            () throws(OpenrukoError) -> any ReleasePhaseRunner in
            let settings: RuntimeSettings
            do {
                settings = try RuntimeSettings.from(environment: environment)
            } catch {
                throw OpenrukoError(.invalid, "\(error)")
            }
            return ReleasePhase(host: try DynoHost(layout: layout, logs: forwarder, settings: settings))
        }
        return (try open(layout, runtime: client, releasePhase: client, logs: forwarder), client, forwarder)
    }
}
