import Synchronization

/// Dyno port ranges for the daemons tests start: blocks of 40 ports below the kernel's
/// ephemeral range (32768+), a different block for each daemon of the test process, so daemons
/// running side by side never reach for the same free port at the same moment.
package enum DynoPortBlocks {
    private static let counter = Atomic<Int>(0)

    /// The next block, as `OPENRUKO_DYNO_PORTS` takes it (`FIRST-LAST`), 20000-31999 in turn.
    /// 300 blocks of 40: a test run starts well over a hundred daemons, and a block handed out
    /// twice let two daemons' dynos meet on one port (the boot check then saw a foreign
    /// listener and gave R10).
    package static func next() -> String {
        let block = counter.add(1, ordering: .relaxed).oldValue % 300
        let first = 20000 + block * 40
        return "\(first)-\(first + 39)"
    }
}
