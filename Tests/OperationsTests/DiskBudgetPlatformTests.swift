import Foundation
import OpenrukoCore
import Operations
import TestSupport
import Testing

/// `Platform.diskRefusal` on a real data directory: the kept figure plus the filesystem's
/// growth, a fresh walk before any refusal, the floor, and a malformed setting.
@Suite(.timeLimit(.minutes(2))) struct DiskBudgetPlatformTests {
    @Test func aRefusalIsCheckedAgainstAFreshWalkAndClearsOnceSpaceIsFreed() throws {
        let installation = try TestInstallation()
        let platform = installation.platform
        let layout = installation.layout
        let used = DiskUsage.bytes(layout.root)
        let budget = ["OPENRUKO_DISK_BUDGET": "\(used + (2 << 20))", "OPENRUKO_PUSH_MIN_FREE_MB": "0"]
        // Within the budget: allowed, and the figure is kept
        #expect(try platform.diskRefusal(incoming: 1 << 20, environment: budget) == nil)
        #expect(DataDirUsage.read(layout) != nil)
        // 3 MB more in DATA_DIR: refused, with the bytes the walk found
        let filler = layout.root + "/filler"
        try Data(repeating: 1, count: 3 << 20).write(to: URL(fileURLWithPath: filler))
        let refusal = try #require(try platform.diskRefusal(incoming: 0, environment: budget))
        #expect(refusal.contains("it uses \(DiskBudget.text(DiskUsage.bytes(layout.root)))"), "\(refusal)")
        // Freed again: a fresh walk clears it, whatever the kept figure said
        try FileManager.default.removeItem(atPath: filler)
        #expect(try platform.diskRefusal(incoming: 0, environment: budget, exactAfter: 0) == nil)
        // What a push brings counts once (it is already under DATA_DIR)
        try Data(repeating: 1, count: 1 << 20).write(to: URL(fileURLWithPath: filler))
        #expect(try platform.diskRefusal(incoming: 1 << 20, environment: budget, exactAfter: 0) == nil)
    }

    @Test func theFloorAppliesWithoutABudgetAndABadSettingIsAnError() throws {
        let installation = try TestInstallation()
        let platform = installation.platform
        let full = try platform.diskRefusal(environment: ["OPENRUKO_PUSH_MIN_FREE_MB": "\(Int64(1) << 39)"])
        #expect(full?.hasPrefix("The server's disk is full") == true)
        #expect(try platform.diskRefusal(environment: ["OPENRUKO_PUSH_MIN_FREE_MB": "0"]) == nil)
        #expect(throws: OpenrukoError.self) { try platform.diskRefusal(environment: ["OPENRUKO_DISK_BUDGET": "ten"]) }
    }

    @Test func theCheckOfAPushCostsNoWalk() throws {
        let installation = try TestInstallation()
        let platform = installation.platform
        let environment = ["OPENRUKO_DISK_BUDGET": "1T", "OPENRUKO_PUSH_MIN_FREE_MB": "0"]
        // The filesystem as this test's own: other tests on it do not shrink it meanwhile
        let real = DataDirUsage.filesystem(installation.layout)
        _ = try platform.diskRefusal(environment: environment, filesystem: { _ in real })  // writes the figure
        // A walk would see this file; the kept figure does not (it is not re-measured)
        let before = try #require(DataDirUsage.read(installation.layout))
        try Data(repeating: 1, count: 1 << 20).write(to: URL(fileURLWithPath: installation.layout.root + "/after"))
        let grown = (free: real.free - (1 << 20), capacity: real.capacity, used: real.used + (1 << 20))
        let started = ContinuousClock.now
        for _ in 0..<1000 { #expect(try platform.diskRefusal(environment: environment, filesystem: { _ in grown }) == nil) }
        let elapsed = ContinuousClock.now - started
        #expect(DataDirUsage.read(installation.layout) == before)
        print("disk budget check: \(elapsed / 1000) per push (kept figure + statvfs)")
    }

    @Test func aFilesystemThatShrankSinceTheFigureIsWalkedAgain() throws {
        let installation = try TestInstallation()
        let platform = installation.platform
        let layout = installation.layout
        let budget = ["OPENRUKO_DISK_BUDGET": "\(DiskUsage.bytes(layout.root) + (2 << 20))", "OPENRUKO_PUSH_MIN_FREE_MB": "0"]
        let real = DataDirUsage.filesystem(layout)
        #expect(try platform.diskRefusal(environment: budget, filesystem: { _ in real }) == nil)
        let kept = try #require(DataDirUsage.read(layout))
        // Given DATA_DIR gained 3 MB while another writer freed 4 MB on the same filesystem
        try Data(repeating: 1, count: 3 << 20).write(to: URL(fileURLWithPath: layout.root + "/filler"))
        let shrunk = (free: real.free + (1 << 20), capacity: real.capacity, used: kept.filesystemUsed - (1 << 20))
        // Then the growth (none) is not trusted: a walk finds the 3 MB and refuses
        let refusal = try #require(try platform.diskRefusal(environment: budget, filesystem: { _ in shrunk }))
        #expect(refusal.contains("it uses \(DiskBudget.text(DiskUsage.bytes(layout.root)))"), "\(refusal)")
        #expect(try #require(DataDirUsage.read(layout)).filesystemUsed == shrunk.used)
    }
}
