import AppLogs
import Foundation
import Store
import Synchronization

/// Each app's own log size: its `OPENRUKO_LOG_SIZE` config var (`4M`, `512K`…; at least 64K).
/// The log store asks once per app and again after each config change (an `app[api]` line).
/// Apps without it (or with a malformed value) use the global size.
final class AppLogLimits: Sendable {
    private let store = Mutex<PlatformStore?>(nil)

    /// The config var naming an app's log size.
    static let variable = "OPENRUKO_LOG_SIZE"

    /// Gives the limits their store (once the installation has opened it).
    func attach(_ store: PlatformStore) { self.store.withLock { $0 = store } }

    /// The app's own limit in bytes, or nil for the global one.
    func limit(_ appID: UUID) -> Int? {
        guard let store = store.withLock({ $0 }) else { return nil }
        let text = (try? store.config(appID: appID))?[Self.variable]
        return text.flatMap(LogSettings.parseSize).map { max($0, LogSettings.minimumSize) }
    }
}
