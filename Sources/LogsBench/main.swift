import AppLogs
import Foundation
import OpenrukoCore
import Synchronization

/// How many tails are reading.
final class Started: Sendable {
    let count = Atomic<Int>(0)
}

// scripts/bench/logs: how many lines per second one app writes through the log store with
// 0, 1 or 10 live tails (until every tail has every line), against the same formatted lines
// appended to a plain file in 64 KiB writes.
//
// Usage: LogsBench store LINES TAILS | LogsBench file LINES
// Prints one number: lines per second.

let arguments = CommandLine.arguments
guard arguments.count >= 3, let lines = Int(arguments[2]) else {
    FileHandle.standardError.write(Data("usage: LogsBench store LINES TAILS | LogsBench file LINES\n".utf8))
    exit(2)
}
let directory = FileManager.default.temporaryDirectory.appendingPathComponent("openruko-logsbench-\(UUID().uuidString)").path
try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(atPath: directory) }
let appID = UUID()
let message = "at=info method=GET path=\"/items/42\" status=200 bytes=512 service=3ms"

/// Lines per second of `count` lines in `seconds`.
func rate(_ count: Int, _ elapsed: Duration) -> String {
    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    return String(format: "%.0f", Double(count) / seconds)
}

switch arguments[1] {
case "file":
    let path = directory + "/plain.log"
    _ = FileManager.default.createFile(atPath: path, contents: nil)
    let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
    let clock = ContinuousClock()
    let elapsed = try clock.measure {
        var buffer = Data()
        for index in 0..<lines {
            let line = LogLine(appID: appID, source: "app", process: "web.1", message: "\(message) n=\(index)")
            buffer.append(contentsOf: line.formatted.utf8)
            buffer.append(UInt8(ascii: "\n"))
            if buffer.count >= 65_536 {
                try handle.write(contentsOf: buffer)
                buffer.removeAll(keepingCapacity: true)
            }
        }
        try handle.write(contentsOf: buffer)
        try handle.close()
    }
    print(rate(lines, elapsed))

case "store":
    let tails = arguments.count > 3 ? Int(arguments[3]) ?? 0 : 0
    let store = LogStore(layout: DataLayout(root: directory), settings: LogSettings(size: 256 << 20))
    store.start()
    let app = App(
        id: appID, name: "bench", ownerID: UUID(), ownerEmail: "bench@example.com", stack: App.defaultStack, buildpacks: [],
        createdAt: Date(), updatedAt: Date())
    // Each tail counts the benchmark's lines; all are reading before the first one is written.
    let started = Started()
    var readers: [Task<Int, Never>] = []
    for _ in 0..<tails {
        readers.append(
            Task {
                var seen = 0
                var ready = false
                for await line in store.read(app: app, query: LogQuery(lines: 0, tail: true)) {
                    if !ready, line.hasSuffix("]: ready") {
                        ready = true
                        started.count.add(1, ordering: .relaxed)
                    }
                    if line.contains(" n=") { seen += 1 }
                    if seen == lines { break }
                }
                return seen
            })
    }
    while started.count.load(ordering: .relaxed) < tails {
        store.emit(LogLine(appID: appID, source: "app", process: "web.1", message: "ready"))
        try await Task.sleep(for: .milliseconds(20))
    }
    let clock = ContinuousClock()
    let elapsed = await clock.measure {
        for index in 0..<lines {
            store.emit(LogLine(appID: appID, source: "app", process: "web.1", message: "\(message) n=\(index)"))
            // A dyno's pipe is read in chunks: the producer lets the writer catch up every
            // 10,000 lines, so nothing overflows the pending buffer and every line counts.
            if index % 10_000 == 9_999 { await store.flushed(appID: appID) }
        }
        await store.flushed(appID: appID)
        for reader in readers { _ = await reader.value }
    }
    store.stop()
    let history = await Array(store.read(app: app, query: LogQuery(lines: 1500, source: "heroku")).collect())
    if history.contains(where: { $0.contains("Error L1") }) { FileHandle.standardError.write(Data("lines were dropped\n".utf8)) }
    print(rate(lines, elapsed))

default:
    exit(2)
}

extension AsyncStream {
    func collect() async -> [Element] {
        var all: [Element] = []
        for await element in self { all.append(element) }
        return all
    }
}
