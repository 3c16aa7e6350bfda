package import AppLogs
import Foundation
package import OpenrukoCore
import ServiceLifecycle
import Store

/// The log store's wiring: the daemon's store and service, and the sink and reader of the
/// other processes.
extension Installation {
    /// The daemon's log store, with each app's limit from the store.
    static func logStore(_ layout: DataLayout, environment: [String: String] = ProcessInfo.processInfo.environment) throws(OpenrukoError)
        -> LogStore
    {
        LogStore(layout: layout, settings: try LogSettings.from(environment: environment))
    }

    /// The log service of the daemon: the store, its socket, the drains of every app, and
    /// the removal of destroyed apps' logs.
    func logService(_ logs: LogStore) -> LogService {
        let store = self.store
        let drains = DrainSupervisor(store: logs) { (try? store.allDrains()) ?? [] }
        return LogService(store: logs, drains: drains) { (try? store.apps()).map { Set($0.map(\.id)) } }
    }

    /// The log sink and reader of a process that is not the daemon (`openruko admin`, the
    /// git hook): lines go to the daemon (or the files), reading is from the files.
    package static func logClients(_ layout: DataLayout, environment: [String: String] = ProcessInfo.processInfo.environment)
        -> (LogForwarder, LogFileReader)
    {
        let settings = (try? LogSettings.from(environment: environment)) ?? LogSettings()
        return (LogForwarder(layout: layout, settings: settings), LogFileReader(layout: layout))
    }
}
