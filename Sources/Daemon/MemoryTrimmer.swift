#if canImport(CMalloc) && os(Linux)
    import CMalloc
#endif
import Foundation
import OpenrukoCore
import ServiceLifecycle

/// Gives memory the daemon has freed back to the system (issue 21). glibc keeps freed memory
/// in its arenas, one per thread that allocated, and returns little of it by itself: after a
/// burst of connections (900 idle sockets on the API, 600 on SSH) the daemon stayed about 25%
/// above its resting size with most of that free. `malloc_trim(0)` every `interval` returns
/// the free pages of every arena (measured with `scripts/bench/hostile`: 81.5 MB at rest after
/// the attacks without it, 69.1 MB with it, against 64.5 MB before them). Off unless
/// `OPENRUKO_MALLOC_TRIM_INTERVAL` is set: every 10 s it also made the canary's p99 under a
/// 900-connection flood 38x the baseline in both runs measured (3x to 6x without); trimming
/// only once the daemon is quiet again is the next step.
struct MemoryTrimmer: Service {
    /// Seconds between passes (`OPENRUKO_MALLOC_TRIM_INTERVAL`; unset or 0: no trimming).
    let interval: Duration

    /// From `OPENRUKO_MALLOC_TRIM_INTERVAL`.
    /// - Throws: `OpenrukoError.invalid` for a malformed number.
    static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws(OpenrukoError)
        -> MemoryTrimmer
    {
        guard let text = environment["OPENRUKO_MALLOC_TRIM_INTERVAL"] else { return MemoryTrimmer(interval: .zero) }
        guard let seconds = Int(text), seconds >= 0 else {
            throw OpenrukoError(.invalid, "OPENRUKO_MALLOC_TRIM_INTERVAL must be a number of seconds (0: off), not \(text.debugDescription).")
        }
        return MemoryTrimmer(interval: .seconds(seconds))
    }

    func run() async throws {
        let interval = interval
        guard interval > .zero else {
            try? await gracefulShutdown()  // a service that returns would stop the daemon
            return
        }
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try await Task.sleep(for: interval)
                Self.trim()
            }
        }
    }

    /// Returns the free pages of every malloc arena to the system.
    static func trim() {
        #if canImport(CMalloc) && os(Linux)
            _ = malloc_trim(0)
        #endif
    }
}
