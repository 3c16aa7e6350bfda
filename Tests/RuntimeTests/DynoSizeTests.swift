import Foundation
import Testing

@testable import Runtime
import Isolation

@Suite(.timeLimit(.minutes(15))) struct DynoSizeTests {
    @Test func dynoSizesHaveHerokusQuotas() {
        let standard = DynoSize.named("standard-1x").limits
        #expect(standard.memoryBytes == 1024 << 20 && standard.processes == 256 && standard.cpuShares == 1024)
        #expect(DynoSize.named("Standard-2X").quotaBytes == 1024 << 20)
        #expect(DynoSize.named("performance-L").limits.memoryBytes == 14336 << 20, "performance dynos stop at their quota")
        #expect(DynoSize.named("no-such-size").name == "standard-1X")
    }

    @Test func memoryErrorsFollowHerokusRules() {
        var watch = MemoryWatch(quota: 512 << 20, hardLimit: 1024 << 20, r14Interval: .seconds(20))
        let start = ContinuousClock.now
        #expect(watch.sample(inUse: 400 << 20, oomKills: 0, at: start) == nil)
        #expect(watch.sample(inUse: 768 << 20, oomKills: 0, at: start) == .quotaExceeded(megabytes: 768, percent: 150))
        #expect(watch.sample(inUse: 800 << 20, oomKills: 0, at: start + .seconds(5)) == nil, "R14 at most every 20 s")
        #expect(watch.sample(inUse: 800 << 20, oomKills: 0, at: start + .seconds(21)) != nil)
        // The kernel killed a process at the hard limit: R15, once.
        guard case .vastlyExceeded = watch.sample(inUse: 100 << 20, oomKills: 1, at: start + .seconds(22)) else {
            Issue.record("no R15 after an OOM kill")
            return
        }
        #expect(watch.sample(inUse: 2000 << 20, oomKills: 2, at: start + .seconds(23)) == nil)
        #expect(MemoryWatch.lines(.vastlyExceeded(megabytes: 1024, percent: 200)).contains("Error R15 (Memory quota vastly exceeded)"))
    }
}
