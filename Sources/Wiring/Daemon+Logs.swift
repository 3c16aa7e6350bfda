import AppLogs
import Foundation
import OpenrukoCore
import ServiceLifecycle
import Store

/// The log store's wiring: the daemon's store and its service.
extension Installation {
    /// The daemon's log store: the global settings from the environment, each app's own
    /// size from `limits`.
    static func logStore(
        _ layout: DataLayout, limits: AppLogLimits, environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(OpenrukoError) -> LogStore {
        LogStore(layout: layout, settings: try LogSettings.from(environment: environment)) { limits.limit($0) }
    }

    /// The log service of the daemon: the store, its socket, the drains of every app, and
    /// the removal of destroyed apps' logs.
    func logService(_ logs: LogStore) -> LogService {
        let store = self.store
        let drains = DrainSupervisor(store: logs) { try? store.allDrains() }
        return LogService(store: logs, drains: drains) { (try? store.apps()).map { Set($0.map(\.id)) } }
    }
}
