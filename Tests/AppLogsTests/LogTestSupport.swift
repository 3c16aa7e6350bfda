import AppLogs
import Foundation
import OpenrukoCore
import TestSupport

/// An app value for reading logs (the store only uses its id).
func testApp(_ name: String = "web1") -> App {
    App(id: UUID(), name: name, ownerID: UUID(), ownerEmail: "owner@example.com", stack: App.defaultStack, buildpacks: [], createdAt: Date(), updatedAt: Date())
}

/// A log store over a fresh data directory, started; stopped when released.
final class StartedStore: Sendable {
    let directory = TemporaryDirectory("openruko-logs")
    let layout: DataLayout
    let store: LogStore

    init(settings: LogSettings = LogSettings(), start: Bool = true) {
        layout = DataLayout(root: directory.path)
        store = LogStore(layout: layout, settings: settings)
        if start { store.start() }
    }

    deinit { store.stop() }
}

/// Collects a stream's lines in the background.
final class Collector: @unchecked Sendable {
    // @unchecked: `lines` is only touched while holding `lock`.
    private let lock = NSLock()
    private var collected: [String] = []
    private var task: Task<Void, Never>?

    init(_ stream: AsyncStream<String>) {
        task = Task { [self] in
            for await line in stream { lock.withLock { collected.append(line) } }
        }
    }

    var lines: [String] { lock.withLock { collected } }

    /// Waits (up to `seconds`) until `condition` holds for the lines collected so far.
    @discardableResult
    func wait(seconds: Double = 30, until condition: ([String]) -> Bool) async -> [String] {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            let now = lines
            if condition(now) { return now }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return lines
    }

    func cancel() { task?.cancel() }

    /// Waits for the stream to end.
    func finish() async { await task?.value }
}

/// A line of `app[PROCESS]` with a message.
func line(_ app: App, _ process: String, _ message: String, source: String = "app") -> LogLine {
    LogLine(appID: app.id, source: source, process: process, message: message)
}

/// The message part of stored lines. The standard library's search, not Foundation's: a CI run
/// crashed inside Foundation's `range(of:)` (CFStringFind read past a page) in the 2 million
/// calls of `fiftyConcurrentTailsReceiveEveryLine`, with other suites running beside it.
func messages(_ lines: [String]) -> [String] {
    lines.map { line in line.firstRange(of: "]: ").map { String(line[$0.upperBound...]) } ?? line }
}
