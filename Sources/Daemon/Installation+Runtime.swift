import Foundation
package import OpenrukoCore
import Runtime

extension Installation {
    /// Opens the data directory for a process that is not the daemon (`openruko admin`, the
    /// git hook, `openruko ssh-command`): dynos are driven through the daemon's control
    /// socket, and the release phase runs here when no daemon runs.
    /// - Returns: the installation and the log reader of the running daemon.
    package static func openClient(
        _ layout: DataLayout, environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(OpenrukoError) -> (Installation, any LogReader) {
        let client = ControlClient(layout: layout) { () throws(OpenrukoError) -> any ReleasePhaseRunner in
            let settings: RuntimeSettings
            do {
                settings = try RuntimeSettings.from(environment: environment)
            } catch {
                throw OpenrukoError(.invalid, "\(error)")
            }
            return ReleasePhase(host: try DynoHost(layout: layout, logs: DiscardingLogSink(), settings: settings))
        }
        return (try open(layout, runtime: client, releasePhase: client, logs: client), client)
    }
}
