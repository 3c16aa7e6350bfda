import Foundation
import Synchronization

/// A few threads of its own for CPU-heavy blocking work (bcrypt), so that work never occupies
/// the cooperative pool that serves every other request: `/health` and token requests keep
/// their threads however many password checks are waiting. Jobs wait in two lanes, `first`
/// ahead of `later`, each holding at most `queueLimit`; more are refused at once rather than
/// queued without bound.
///
/// ```swift
/// let user = try await BlockingPool.passwords.run(.first) { try platform.checkPassword(email: e, password: p) }
/// ```
final class BlockingPool: Sendable {
    /// The lane already holds `queueLimit` jobs.
    struct Full: Error, Sendable {}

    /// Which jobs run first.
    enum Lane: Sendable {
        /// Ahead of every `later` job.
        case first
        case later
    }

    private struct State {
        var first: [@Sendable () -> Void] = []
        var later: [@Sendable () -> Void] = []
        var started = false

        mutating func next() -> (@Sendable () -> Void)? {
            if !first.isEmpty { return first.removeFirst() }
            if !later.isEmpty { return later.removeFirst() }
            return nil
        }
    }

    let name: String
    /// Threads that run jobs.
    let threads: Int
    /// Jobs that may wait for a thread, per lane.
    let queueLimit: Int
    private let state = Mutex(State())
    private let ready = DispatchSemaphore(value: 0)

    /// The process's password checks: half the cores (at least one thread) for bcrypt, so the
    /// other half always serves requests; 32 checks may wait per lane.
    static let passwords = BlockingPool(
        name: "openruko-password", threads: max(1, ProcessInfo.processInfo.activeProcessorCount / 2), queueLimit: 32)

    init(name: String, threads: Int, queueLimit: Int) {
        self.name = name
        self.threads = max(1, threads)
        self.queueLimit = max(1, queueLimit)
    }

    /// Runs `work` on one of the pool's threads and returns its result.
    /// - Throws: `Full` when `queueLimit` jobs already wait in `lane`; else what `work` throws.
    func run<T: Sendable>(_ lane: Lane, _ work: @escaping @Sendable () throws -> T) async throws -> T {
        startThreadsOnce()
        return try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let job: @Sendable () -> Void = { continuation.resume(with: Result { try work() }) }
            let queued = state.withLock { state -> Bool in
                switch lane {
                case .first:
                    guard state.first.count < queueLimit else { return false }
                    state.first.append(job)
                case .later:
                    guard state.later.count < queueLimit else { return false }
                    state.later.append(job)
                }
                return true
            }
            if queued { ready.signal() } else { continuation.resume(throwing: Full()) }
        }
    }

    /// Jobs waiting for a thread now, in both lanes.
    var waiting: Int { state.withLock { $0.first.count + $0.later.count } }

    private func startThreadsOnce() {
        let start = state.withLock { state in
            defer { state.started = true }
            return !state.started
        }
        guard start else { return }
        for index in 0..<threads {
            // The threads serve for the life of the process (the pools are process-wide).
            let thread = Thread { [self] in
                while true {
                    ready.wait()
                    state.withLock { $0.next() }?()
                }
            }
            thread.name = "\(name)-\(index)"
            thread.start()
        }
    }
}
