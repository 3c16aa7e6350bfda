import Synchronization

/// Dyno port ranges for the daemons tests start: blocks of 100 ports below the kernel's
/// ephemeral range (32768+), a different block for each daemon of the test process, so daemons
/// running side by side never reach for the same free port at the same moment.
package enum DynoPortBlocks {
    private static let counter = Atomic<Int>(0)

    /// The next block, as `OPENRUKO_DYNO_PORTS` takes it (`FIRST-LAST`), 20000-31999 in turn.
    package static func next() -> String {
        let block = counter.add(1, ordering: .relaxed).oldValue % 120
        let first = 20000 + block * 100
        return "\(first)-\(first + 99)"
    }
}
