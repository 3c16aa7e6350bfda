import Foundation
import OpenrukoCore

/// Reads the daemon's resident size, descriptor count and CPU time from `/proc/self`.
struct ProcessSampler {
    private var lastCPU: Duration?
    private var lastTime = ContinuousClock.now

    /// Nil when `/proc` cannot be read.
    mutating func sample() -> MemoryTrimPolicy.Sample? {
        guard let statm = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8),
            let pages = statm.split(separator: " ").dropFirst().first.flatMap({ Int($0) }),
            let descriptors = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count
        else { return nil }
        // utime and stime, the 14th and 15th fields (the name, 2nd, may hold spaces).
        guard let stat = try? String(contentsOfFile: "/proc/self/stat", encoding: .utf8),
            let fields = stat.split(separator: ")").last?.split(separator: " "), fields.count > 12,
            let user = Int(fields[11]), let system = Int(fields[12])
        else { return nil }
        let cpu = Duration.milliseconds((user + system) * 1000 / Self.ticksPerSecond)
        let now = ContinuousClock.now
        let share = lastCPU.map { (cpu - $0) / (now - lastTime) } ?? 0
        lastCPU = cpu
        lastTime = now
        return MemoryTrimPolicy.Sample(residentBytes: pages * Self.pageSize, descriptors: descriptors, cpuShare: share)
    }

    private static let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))
    private static let ticksPerSecond = max(1, Int(sysconf(Int32(_SC_CLK_TCK))))
}
