package import Foundation
package import OpenrukoCore
import Synchronization

/// The daemon's log store: every line of every app, appended to disk per app (bounded,
/// oldest dropped first, kept across deploys, restarts and daemon restarts), read back by
/// `logs` (the last lines, then live ones) and by the drains.
///
/// Emitting never waits: the line is formatted, queued in memory and written by one writer
/// thread; when the queue of an app is full, lines are dropped, counted and reported in the
/// app's log (`Error L10`). Readers pull what was written, from memory while it is recent
/// and from the files otherwise, so any number of tails costs one write per line, and a
/// reader that stops reading costs nothing.
///
/// ```swift
/// let store = LogStore(layout: layout, settings: try LogSettings.from())
/// store.start()
/// store.emit(LogLine(appID: app.id, source: "app", process: "web.1", message: "hello"))
/// for await line in store.read(app: app, query: LogQuery(lines: 10, tail: true)) { print(line) }
/// ```
package final class LogStore: LogSink, LogReader, Sendable {
    package let layout: DataLayout
    package let settings: LogSettings
    private let logs = Mutex<[UUID: AppLog]>([:])
    private let writer: LogWriter
    private let limits: LimitCache

    /// - Parameters:
    ///   - limit: an app's own byte limit, when it has one (else `settings.size`). It is asked
    ///     once per app, and again after each `app[api]` line of the app (a config change).
    package init(layout: DataLayout, settings: LogSettings = LogSettings(), limit: @escaping @Sendable (UUID) -> Int? = { _ in nil }) {
        self.layout = layout
        self.settings = settings
        let size = settings.size
        let limits = LimitCache()
        self.limits = limits
        writer = LogWriter { appID in limits.value(appID) { limit($0) ?? size } }
    }

    /// Starts the writer thread; lines emitted before wait for it.
    package func start() { writer.start() }

    /// Writes what is queued and stops the writer thread.
    package func stop() { writer.stop() }

    package func emit(_ line: LogLine) {
        if line.process == "api" && line.source == "app" { limits.forget(line.appID) }
        let log = appLog(line.appID)
        if log.append(line.storedLines, capacity: settings.pendingBytes) { writer.schedule(log) }
    }

    /// Emits lines already formatted and split (`LogLine.storedLines`), in one go.
    package func emit(appID: UUID, storedLines: [String]) {
        let log = appLog(appID)
        if log.append(storedLines, capacity: settings.pendingBytes) { writer.schedule(log) }
    }

    package func read(app: App, query: LogQuery) -> AsyncStream<String> {
        let subscription = FeedSubscription(log: appLog(app.id), query: query)
        return AsyncStream(unfolding: { await subscription.next() })
    }

    /// A reader of the app's log (started with `start()`).
    func subscription(appID: UUID, query: LogQuery) -> FeedSubscription {
        FeedSubscription(log: appLog(appID), query: query)
    }

    /// Returns once every line emitted for the app before the call is on disk.
    package func flushed(appID: UUID) async {
        await appLog(appID).flushed()
    }

    /// The app's log directory.
    package func directory(appID: UUID) -> LogDirectory { LogDirectory(layout: layout, appID: appID) }

    /// Forgets the logs of apps that no longer exist (their files too).
    package func removeLogs(except apps: Set<UUID>) {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: layout.appLogs)) ?? []
        for name in names {
            guard let id = UUID(uuidString: name), !apps.contains(id) else { continue }
            logs.withLock { _ = $0.removeValue(forKey: id) }
            try? FileManager.default.removeItem(atPath: layout.appLogs + "/" + name)
        }
    }

    private func appLog(_ appID: UUID) -> AppLog {
        logs.withLock { logs in
            if let log = logs[appID] { return log }
            let log = AppLog(appID: appID, directory: LogDirectory(layout: layout, appID: appID), cacheLimit: settings.cacheBytes)
            logs[appID] = log
            return log
        }
    }
}

/// Each app's byte limit as last asked.
final class LimitCache: Sendable {
    private let limits = Mutex<[UUID: Int]>([:])

    /// The cached limit, or `ask`'s answer (then cached).
    func value(_ appID: UUID, ask: (UUID) -> Int) -> Int {
        if let known = limits.withLock({ $0[appID] }) { return known }
        let limit = ask(appID)
        limits.withLock { $0[appID] = limit }
        return limit
    }

    /// Asks again next time.
    func forget(_ appID: UUID) { _ = limits.withLock { $0.removeValue(forKey: appID) } }
}
