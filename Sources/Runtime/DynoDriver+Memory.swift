import Foundation
import OpenrukoCore
import Isolation

/// The memory side of a running dyno: R14/R15 from its cgroup, log-runtime-metrics lines.
extension DynoDriver {
    /// Samples the instance's memory every `memorySampleInterval`: R14 over the quota, and
    /// on R15 the whole dyno is killed (it then crashes and restarts like any crash).
    func watchMemory(_ cgroup: ProcessCgroup, origin: UUID) {
        let size = DynoSize.named(spec.size)
        let interval = host.settings.memorySampleInterval
        let metricsInterval = host.settings.metricsInterval
        let metrics = RuntimeMetrics.enabled(spec.release.config)
        let (source, dyno) = (spec.name, origin.uuidString.lowercased())
        memoryWatcher?.cancel()
        memoryWatcher = Task { [weak self] in
            var watch = MemoryWatch(quota: size.quotaBytes, hardLimit: size.limits.memoryBytes)
            var lastMetrics = ContinuousClock.now
            while !Task.isCancelled {
                try? await Task.sleep(for: min(interval, metricsInterval))
                guard !Task.isCancelled, let self else { return }
                let stat = cgroup.memoryStat
                if metrics, ContinuousClock.now - lastMetrics >= metricsInterval {
                    lastMetrics = .now
                    await self.say(RuntimeMetrics.memoryLine(source: source, dyno: dyno, stat: stat, quota: size.quotaBytes), origin: origin)
                }
                guard let verdict = watch.sample(inUse: stat.total, oomKills: cgroup.oomKills, at: .now) else { continue }
                await self.report(verdict, origin: origin)
            }
        }
    }

    /// A `heroku[NAME]` line of the running instance.
    func say(_ message: String, origin: UUID) {
        guard origin == instance else { return }
        host.logs.emit(LogLine(appID: spec.app.id, source: "heroku", process: spec.name, message: message))
    }

    func report(_ verdict: MemoryWatch.Verdict, origin: UUID) {
        guard origin == instance else { return }
        if case .vastlyExceeded = verdict {
            // Once per instance, whether the sampler or the exit saw it first.
            guard reportedR15 != origin else { return }
            reportedR15 = origin
        }
        for line in MemoryWatch.lines(verdict) {
            host.logs.emit(LogLine(appID: spec.app.id, source: "heroku", process: spec.name, message: line))
        }
        if case .vastlyExceeded = verdict, let pid {
            memoryWatcher?.cancel()
            Sandbox.killAll(pid)
        }
    }
}
