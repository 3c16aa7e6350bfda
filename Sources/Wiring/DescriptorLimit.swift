import Foundation

/// The daemon's budget of open file descriptors (`RLIMIT_NOFILE`). Every listener's
/// connections, the store, log files and dyno pipes share it; the usual soft limit of 1,024 is
/// far below what a busy router needs, so the daemon raises it to the hard limit at start.
enum DescriptorLimit {
    /// Raises the soft `RLIMIT_NOFILE` to the hard limit; returns the soft limit now in force
    /// (unchanged when the system refuses).
    @discardableResult
    static func raiseToHardLimit() -> UInt64 {
        var limit = rlimit()
        guard getrlimit(resource, &limit) == 0 else { return 0 }
        // An unlimited hard limit is more than the kernel takes (`fs.nr_open`, macOS's OPEN_MAX):
        // then the largest value it accepts.
        for target in [limit.rlim_max, 1 << 20, 10_240] where target > limit.rlim_cur && target <= limit.rlim_max {
            var raised = limit
            raised.rlim_cur = target
            if setrlimit(resource, &raised) == 0 { return UInt64(target) }
        }
        return UInt64(limit.rlim_cur)
    }

    #if os(Linux)
        private static let resource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
    #else
        private static let resource = RLIMIT_NOFILE
    #endif
}
