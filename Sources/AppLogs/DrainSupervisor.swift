import Foundation
package import OpenrukoCore

/// Runs one `DrainWorker` per log drain in the store, following additions and removals
/// (from any process) within `interval`. Drains present when the daemon starts get lines
/// from then on; a drain added later also gets what was logged since it was added.
package struct DrainSupervisor: Sendable {
    let store: LogStore
    let drains: @Sendable () -> [LogDrain]?
    let tls: DrainTLS
    let interval: Duration

    /// - Parameters:
    ///   - drains: every drain of every app (read from the platform store); nil when they
    ///     cannot be read now (the running drains then carry on as they are).
    package init(
        store: LogStore, tls: DrainTLS = DrainTLS(), interval: Duration = .milliseconds(500), drains: @escaping @Sendable () -> [LogDrain]?
    ) {
        self.store = store
        self.drains = drains
        self.tls = tls
        self.interval = interval
    }

    /// Follows the drains until cancelled.
    package func run() async {
        var running: [UUID: (url: String, task: Task<Void, Never>)] = [:]
        var first = true
        while !Task.isCancelled {
            guard let current = drains() else {
                try? await Task.sleep(for: interval)
                continue
            }
            let wanted = Dictionary(current.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
            for (id, worker) in running where wanted[id]?.url != worker.url {
                worker.task.cancel()
                running[id] = nil
            }
            for drain in current where running[drain.id] == nil {
                guard let url = try? DrainURL(parsing: drain.url) else { continue }
                let worker = DrainWorker(drain: drain, url: url, store: store, buffer: store.settings.drainBuffer, tls: tls)
                let since: Date? = first ? nil : drain.createdAt
                running[drain.id] = (drain.url, Task { await worker.run(since: since) })
            }
            first = false
            try? await Task.sleep(for: interval)
        }
        for worker in running.values { worker.task.cancel() }
        for worker in running.values { await worker.task.value }
    }
}
