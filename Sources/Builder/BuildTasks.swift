package import Foundation
import Synchronization

/// The API's builds running in the background, so that whoever owns them (the daemon's
/// `BuildTasksService`) can stop them cleanly: on shutdown each is cancelled — its child
/// process gets SIGTERM, then SIGKILL after a grace period — and its record is marked failed
/// with the reason before the daemon exits.
package final class BuildTasks: Sendable {
    private let tasks = Mutex<[UUID: Task<Void, Never>]>([:])
    private let closed = Mutex(false)

    package init() {}

    /// Runs `body` as build `id`'s task; false (and nothing runs) once `cancelAll` began.
    @discardableResult
    package func start(_ id: UUID, _ body: @escaping @Sendable () async -> Void) -> Bool {
        guard !closed.withLock({ $0 }) else { return false }
        let task = Task.detached { [weak self] in
            await body()
            self?.finished(id)
        }
        tasks.withLock { $0[id] = task }
        return true
    }

    private func finished(_ id: UUID) { _ = tasks.withLock { $0.removeValue(forKey: id) } }

    /// How many run now.
    package var count: Int { tasks.withLock { $0.count } }

    /// Refuses new builds, cancels every running one and waits until all have ended.
    package func cancelAll() async {
        closed.withLock { $0 = true }
        let running = tasks.withLock { Array($0.values) }
        for task in running { task.cancel() }
        for task in running { await task.value }
    }
}
