import Builder
import Foundation
import Logging
import OpenrukoCore
import Operations
import ServiceLifecycle
import Store

/// The daemon's garbage collector: every `interval` (`OPENRUKO_GC_INTERVAL` seconds, default
/// an hour; 0: only on low space), and whenever free space on the data directory's filesystem
/// falls under `minimumFree` percent (`OPENRUKO_GC_MIN_FREE`, default 10; at most every ten
/// minutes then), it runs one `Platform.collectGarbage` on a thread of its own (the walk
/// blocks; pushes and requests go on) and logs what it removed and how much it freed. Each
/// collection also collects the apps' own image stores (`AppImageCollector`). It keeps the
/// figure of the bytes `DATA_DIR` uses (`DataDirUsage`) that pushes weigh against
/// `OPENRUKO_DISK_BUDGET`: measured at start, after each collection and, with a budget, every
/// `usageRefresh`.
struct DiskCollectorService: Service {
    let platform: Platform
    let rule: RetentionRule
    let interval: TimeInterval
    let minimumFree: Double
    let budget: DiskBudget
    let logger: Logger
    /// How often free space is looked at (a minute, or the interval when shorter).
    var tick: Duration
    /// How often the usage figure is measured again when there is a budget.
    var usageRefresh: TimeInterval = 300

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
        budget = try DiskBudget.from(environment: environment)
        tick = seconds > 0 && seconds < 60 ? .milliseconds(Int64(seconds * 1000)) : .seconds(60)
    }

    /// Whether to collect now: on schedule, or on low space at most every ten minutes.
    static func due(now: Date, last: Date, interval: TimeInterval, freePercent: Double, minimumFree: Double) -> Bool {
        let elapsed = now.timeIntervalSince(last)
        if interval > 0, elapsed >= interval { return true }
        return freePercent < minimumFree && elapsed >= 600
    }

    func run() async throws {
        var last = Date()
        await measureUsage()
        var measured = Date()
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: tick) }
            guard !Task.isShuttingDownGracefully && !Task.isCancelled else { return }
            let percent = freePercent()
            guard Self.due(now: Date(), last: last, interval: interval, freePercent: percent, minimumFree: minimumFree) else {
                if budget.total != nil, Date().timeIntervalSince(measured) >= usageRefresh {
                    await measureUsage()
                    measured = Date()
                }
                continue
            }
            last = Date()
            let low = percent < minimumFree
            await collect(reason: low ? String(format: "free space %.1f%% < %.0f%%", percent, minimumFree) : "schedule")
            await measureUsage()
            measured = Date()
        }
    }

    /// Measures the bytes `DATA_DIR` uses (a walk, on a thread of its own) for the budget.
    func measureUsage() async {
        let layout = platform.layout
        let figure = await withCheckedContinuation { continuation in
            Thread { continuation.resume(returning: DataDirUsage.measure(layout)) }.start()
        }
        if let total = budget.total {
            logger.info("disk: DATA_DIR uses \(DiskBudget.text(figure.bytes)) of its budget of \(DiskBudget.text(total))")
        }
    }

    /// Collects the apps' own image stores (openruko as root builds each app in one).
    func collectImages() async {
        guard geteuid() == 0 else { return }
        var targets: [AppImageCollector.Target] = []
        do {
            for app in try platform.store.apps() {
                guard let uid = app.sandboxUID else { continue }
                targets.append(.init(app: app.name, appID: app.id, uid: uid, keptImageIDs: try platform.keptImageIDs(of: app, rule: rule)))
            }
        } catch {
            return logger.warning("gc: images not collected: \(error.message)")
        }
        for outcome in await AppImageCollector(layout: platform.layout).collect(targets) {
            if outcome.images.isEmpty, outcome.containers == 0, let note = outcome.note {
                logger.info("gc: images of \(outcome.app) \(note)")
                continue
            }
            let ids = outcome.images.map { $0.prefix(12) }.joined(separator: ", ")
            let line = "gc: images of \(outcome.app): removed \(outcome.images.count) images (\(ids)), "
                + "\(outcome.containers) leftover containers, \(outcome.freed) bytes freed" + (outcome.note.map { "; \($0)" } ?? "")
            logger.info("\(line)")
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
        await collectImages()
    }

    private func freePercent() -> Double {
        var info = statvfs()
        guard statvfs(platform.layout.root, &info) == 0, info.f_blocks > 0 else { return 100 }
        return Double(info.f_bavail) / Double(info.f_blocks) * 100
    }
}
