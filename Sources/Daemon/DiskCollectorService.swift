import Foundation
import Logging
import OpenrukoCore
import Platform
import ServiceLifecycle

/// The daemon's garbage collector: every `interval` (`OPENRUKO_GC_INTERVAL` seconds, default
/// an hour; 0: only on low space), and whenever free space on the data directory's filesystem
/// falls under `minimumFree` percent (`OPENRUKO_GC_MIN_FREE`, default 10; at most every ten
/// minutes then), it runs one `Platform.collectGarbage` on a thread of its own (the walk
/// blocks; pushes and requests go on) and logs what it removed and how much it freed.
struct DiskCollectorService: Service {
    let platform: Platform
    let rule: RetentionRule
    let interval: TimeInterval
    let minimumFree: Double
    let logger: Logger
    /// How often free space is looked at.
    var tick: Duration = .seconds(60)

    /// The settings from the environment.
    /// - Throws: `OpenrukoError.invalid` for a malformed value.
    init(platform: Platform, logger: Logger, environment: [String: String] = ProcessInfo.processInfo.environment) throws(OpenrukoError) {
        self.platform = platform
        self.logger = logger
        rule = try Platform.retentionRule(environment: environment)
        let interval = environment["OPENRUKO_GC_INTERVAL"] ?? "3600"
        guard let seconds = TimeInterval(interval), seconds >= 0 else {
            throw OpenrukoError(.invalid, "OPENRUKO_GC_INTERVAL must be a number of seconds ≥ 0, not \(interval.debugDescription).")
        }
        let free = environment["OPENRUKO_GC_MIN_FREE"] ?? "10"
        guard let percent = Double(free), (0...100).contains(percent) else {
            throw OpenrukoError(.invalid, "OPENRUKO_GC_MIN_FREE must be a percentage (0–100), not \(free.debugDescription).")
        }
        self.interval = seconds
        minimumFree = percent
    }

    /// Whether to collect now: on schedule, or on low space at most every ten minutes.
    static func due(now: Date, last: Date, interval: TimeInterval, freePercent: Double, minimumFree: Double) -> Bool {
        let elapsed = now.timeIntervalSince(last)
        if interval > 0, elapsed >= interval { return true }
        return freePercent < minimumFree && elapsed >= 600
    }

    func run() async throws {
        var last = Date()
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: tick) }
            guard !Task.isShuttingDownGracefully && !Task.isCancelled else { return }
            let percent = freePercent()
            guard Self.due(now: Date(), last: last, interval: interval, freePercent: percent, minimumFree: minimumFree) else { continue }
            last = Date()
            let low = percent < minimumFree
            await collect(reason: low ? String(format: "free space %.1f%% < %.0f%%", percent, minimumFree) : "schedule")
        }
    }

    /// One collection on its own thread, logged.
    func collect(reason: String) async {
        let (platform, rule) = (platform, rule)
        let outcome: Result<GarbageCollection, OpenrukoError> = await withCheckedContinuation { continuation in
            Thread {
                continuation.resume(returning: Result { () throws(OpenrukoError) in
                    try platform.collectGarbage(rule: rule, dryRun: false, as: .superuser)
                })
            }.start()
        }
        switch outcome {
        case .success(let result):
            for removal in result.removed {
                logger.info("gc: removed \(removal.path) (\(removal.bytes) bytes, \(removal.reason))")
            }
            for (app, versions) in result.expired.sorted(by: { $0.key < $1.key }) {
                logger.info("gc: \(app) releases \(versions.map { "v\($0)" }.joined(separator: ", ")) expired")
            }
            logger.info("gc (\(reason)): \(result.summary)")
        case .failure(let error):
            logger.warning("gc (\(reason)) failed: \(error.message)")
        }
    }

    private func freePercent() -> Double {
        var info = statvfs()
        guard statvfs(platform.layout.root, &info) == 0, info.f_blocks > 0 else { return 100 }
        return Double(info.f_bavail) / Double(info.f_blocks) * 100
    }
}
