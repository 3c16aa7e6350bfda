import Foundation
import OpenrukoCore
import Testing

/// The budget of pushes: sizes as admins write them, the free-space floor, the budget, and
/// the refusal's words; the kept usage figure's estimate.
@Suite(.timeLimit(.minutes(1))) struct DiskBudgetTests {
    @Test func sizesParseAsAdminsWriteThem() {
        #expect(DiskBudget.bytes(parsing: "50G") == 50 << 30)
        #expect(DiskBudget.bytes(parsing: "500M") == 500 << 20)
        #expect(DiskBudget.bytes(parsing: "1.5g") == 3 << 29)
        #expect(DiskBudget.bytes(parsing: "2TB") == 2 << 40)
        #expect(DiskBudget.bytes(parsing: "64KiB") == 64 << 10)
        #expect(DiskBudget.bytes(parsing: "12345") == 12345)
        for bad in ["", "G", "50X", "-5G", "5 G B", "1e9", "50GG", "99999999999T", "0x10", "5.5.5M"] {
            #expect(DiskBudget.bytes(parsing: bad) == nil, "\(bad)")
        }
    }

    @Test func badSettingsAreClearErrors() throws {
        #expect(try DiskBudget.from(environment: [:]) == DiskBudget(total: nil, minimumFree: 100 << 20))
        #expect(try DiskBudget.from(environment: ["OPENRUKO_DISK_BUDGET": "50G", "OPENRUKO_PUSH_MIN_FREE_MB": "5"])
            == DiskBudget(total: 50 << 30, minimumFree: 5 << 20))
        for (key, value) in [("OPENRUKO_DISK_BUDGET", "fifty"), ("OPENRUKO_DISK_BUDGET", "0"), ("OPENRUKO_PUSH_MIN_FREE_MB", "-1")] {
            do {
                _ = try DiskBudget.from(environment: [key: value])
                Issue.record("\(key)=\(value) was accepted")
            } catch {
                #expect(error.message.hasPrefix("\(key) must be"), "\(error.message)")
                #expect(error.message.contains(value.debugDescription))
            }
        }
    }

    @Test func theFloorComesFirstThenTheBudget() {
        let budget = DiskBudget(total: 1 << 30, minimumFree: 100 << 20)
        // Within budget and above the floor: allowed
        #expect(budget.refusal(used: 900 << 20, incoming: 100 << 20, free: 10 << 30) == nil)
        // Without a budget only the floor counts
        #expect(DiskBudget().refusal(used: nil, incoming: 1 << 40, free: 200 << 20) == nil)
        // Under the floor: the full-disk refusal, whatever the budget
        let full = budget.refusal(used: 0, incoming: 0, free: 50 << 20)
        #expect(full?.hasPrefix("The server's disk is full (50 MB free for its data)") == true)
        // Over the budget: what is over, by how much, what to do
        let over = try! #require(budget.refusal(used: 1000 << 20, incoming: 124 << 20, free: 10 << 30))
        #expect(over.hasPrefix("Push rejected: openruko's disk budget is used up."))
        #expect(over.contains("may use 1 GB (OPENRUKO_DISK_BUDGET)"))
        #expect(over.contains("it uses 1000 MB and this push brings 124 MB, 100 MB over."))
        #expect(over.contains("openruko admin disk"))
        #expect(over.contains("destroy apps"))
        #expect(over.contains("OPENRUKO_RETAIN_RELEASES"))
        // Already over with nothing incoming (the check before git writes)
        #expect(budget.refusal(used: (1 << 30) + 1, incoming: 0, free: 10 << 30)?.contains("1 bytes over") == true)
        #expect(budget.refusal(used: 1 << 30, incoming: 0, free: 10 << 30) == nil)
    }

    @Test func onlyARefusalNeedsTheExactFigure() {
        let budget = DiskBudget(total: 1000, minimumFree: 0)
        #expect(!budget.needsExactUsage(estimate: 900, incoming: 100))
        #expect(budget.needsExactUsage(estimate: 900, incoming: 101))
        #expect(!DiskBudget().needsExactUsage(estimate: .max / 2, incoming: 1))
    }

    @Test func theEstimateCountsGrowthNotShrinkage() throws {
        let figure = DataDirUsage(bytes: 5000, filesystemUsed: 1_000_000, measuredAt: Date())
        #expect(figure.estimate(filesystemUsedNow: 1_000_700) == 5700)
        #expect(figure.estimate(filesystemUsedNow: 900_000) == 5000)
    }

    @Test func theFigureIsKeptPrivatelyAndReadBack() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("budget-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        try FileManager.default.createDirectory(atPath: root + "/slugs", withIntermediateDirectories: true)
        try Data(repeating: 1, count: 12345).write(to: URL(fileURLWithPath: root + "/slugs/a"))
        let layout = DataLayout(root: root)
        let measured = DataDirUsage.measure(layout)
        #expect(measured.bytes >= 12345)
        #expect(DataDirUsage.read(layout)?.bytes == measured.bytes)
        let mode = try FileManager.default.attributesOfItem(atPath: DataDirUsage.file(layout))[.posixPermissions] as? Int
        #expect(mode == 0o600)
    }
}
