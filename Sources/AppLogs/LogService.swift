package import Foundation
import OpenrukoCore
import ServiceLifecycle

/// The log store as a daemon service: the writer thread, the socket other processes write
/// to, the drains, and the removal of destroyed apps' logs. It should start first and stop
/// last, so every other part's final lines reach the disk.
package struct LogService: Service {
    package let store: LogStore
    package let drains: DrainSupervisor?
    /// The ids of the apps that exist (nil when unknown); logs of others are removed.
    package let apps: @Sendable () -> Set<UUID>?

    package init(store: LogStore, drains: DrainSupervisor?, apps: @escaping @Sendable () -> Set<UUID>? = { nil }) {
        self.store = store
        self.drains = drains
        self.apps = apps
    }

    package func run() async throws {
        store.start()
        defer { store.stop() }
        let server = LogSocketServer(store: store)
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask {
                do {
                    try await server.run()
                } catch {
                    // Ending the socket at shutdown cancels it: only an earlier failure counts.
                    if !Task.isCancelled { throw error }
                }
            }
            if let drains { group.addTask { await drains.run() } }
            group.addTask {
                while !Task.isCancelled {
                    if let apps = apps() { store.removeLogs(except: apps) }
                    try? await Task.sleep(for: .seconds(600))
                }
            }
            try? await gracefulShutdown()
            group.cancelAll()
        }
    }
}
