import Synchronization

/// Dyno port ranges for the daemons tests start: blocks of 40 ports below the kernel's
/// ephemeral range (32768+), a different block for each daemon of the test process, so daemons
/// running side by side never reach for the same free port at the same moment.
package enum DynoPortBlocks {
    private static let counter = Atomic<Int>(0)

    /// The next block, as `OPENRUKO_DYNO_PORTS` takes it (`FIRST-LAST`): 68 blocks of 40 in
    /// 30000-32719, in turn — outside 20000-29999, where builds run by a hook without a daemon
    /// (build tests) pick their dyno ports.
    package static func next() -> String {
        let block = counter.add(1, ordering: .relaxed).oldValue % 68
        let first = 30000 + block * 40
        return "\(first)-\(first + 39)"
    }
}
