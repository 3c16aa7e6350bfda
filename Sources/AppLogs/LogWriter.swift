import Foundation

/// The daemon's one writer thread: appends every app's pending lines to its files, so
/// producers (dyno output, the router, the platform) never touch the disk.
final class LogWriter: @unchecked Sendable {
    // @unchecked: `queue` and `running` are only touched while holding `condition`;
    // `appenders` only on the writer thread.
    private let condition = NSCondition()
    private var queue: [AppLog] = []
    private var running = false
    private var stopped = false
    private var appenders: [UUID: LogAppender] = [:]
    private let limit: @Sendable (UUID) -> Int
    private let finished = NSCondition()
    private var done = false

    /// - Parameter limit: the byte limit of an app's log.
    init(limit: @escaping @Sendable (UUID) -> Int) {
        self.limit = limit
    }

    /// Starts the thread (once).
    func start() {
        let start = condition.withLock { () -> Bool in
            guard !running && !stopped else { return false }
            running = true
            return true
        }
        guard start else { return }
        let thread = Thread { [self] in loop() }
        thread.name = "openruko-log-writer"
        thread.start()
    }

    /// Puts an app in the queue and wakes the thread.
    func schedule(_ log: AppLog) {
        condition.withLock {
            queue.append(log)
            condition.signal()
        }
    }

    /// Writes what is queued, then ends the thread.
    func stop() {
        let wasRunning = condition.withLock { () -> Bool in
            stopped = true
            condition.signal()
            return running
        }
        guard wasRunning else { return }
        finished.withLock {
            while !done { finished.wait() }
        }
    }

    private func loop() {
        while true {
            let batch = condition.withLock { () -> [AppLog]? in
                while queue.isEmpty && !stopped { condition.wait() }
                if queue.isEmpty { return nil }
                defer { queue.removeAll(keepingCapacity: true) }
                return queue
            }
            guard let batch else { break }
            for log in batch {
                let appender = appenders[log.appID] ?? LogAppender(directory: log.directory)
                appenders[log.appID] = appender
                log.flush(with: appender, limit: limit(log.appID))
            }
            if appenders.count > 256 { appenders.removeAll() }
        }
        finished.withLock {
            done = true
            finished.broadcast()
        }
    }
}
