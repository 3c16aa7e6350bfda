package import Isolation

/// Heroku's dyno sizes and what each gets here: its memory quota (over it the log shows R14;
/// at the hard limit the kernel stops it and openruko reports R15), a CPU weight relative to
/// other dynos, and a limit on processes and threads (a fork bomb stays inside its dyno).
///
/// ```swift
/// DynoSize.named("standard-2X").quotaBytes   // 1 GB
/// ```
package struct DynoSize: Sendable, Hashable {
    package let name: String
    package let quotaMB: UInt64
    /// Where the kernel stops the dyno, as a multiple of the quota: twice for the dynos that
    /// may swap on Heroku (eco to standard-2X); performance dynos stop at their quota.
    package let hardLimitFactor: UInt64
    package let cpuShares: Int
    package let processes: Int

    /// Heroku's sizes with their quotas and process limits.
    package static let all: [DynoSize] = [
        DynoSize(name: "eco", quotaMB: 512, hardLimitFactor: 2, cpuShares: 1024, processes: 256),
        DynoSize(name: "basic", quotaMB: 512, hardLimitFactor: 2, cpuShares: 1024, processes: 256),
        DynoSize(name: "standard-1X", quotaMB: 512, hardLimitFactor: 2, cpuShares: 1024, processes: 256),
        DynoSize(name: "standard-2X", quotaMB: 1024, hardLimitFactor: 2, cpuShares: 2048, processes: 512),
        DynoSize(name: "performance-M", quotaMB: 2560, hardLimitFactor: 1, cpuShares: 8192, processes: 16384),
        DynoSize(name: "performance-L", quotaMB: 14336, hardLimitFactor: 1, cpuShares: 16384, processes: 32768),
    ]

    /// The size called `name` (any case); standard-1X for a name it does not know.
    package static func named(_ name: String) -> DynoSize {
        all.first { $0.name.lowercased() == name.lowercased() } ?? all[2]
    }

    package var quotaBytes: UInt64 { quotaMB << 20 }

    /// The cgroup limits of one dyno of this size.
    package var limits: ProcessCgroup.Limits {
        ProcessCgroup.Limits(memoryBytes: quotaBytes * hardLimitFactor, processes: processes, cpuShares: cpuShares)
    }
}
