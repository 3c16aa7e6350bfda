import AppLogs
import Foundation
import OpenrukoCore
import Testing

/// The store with its real writer thread and real files: order, format, filters, history
/// across a restart, bounds, live tails, overflow notices.
@Suite(.timeLimit(.minutes(15))) struct LogStoreTests {
    @Test func linesComeBackInOrderInHerokusShape() async throws {
        let fixture = StartedStore()
        let app = testApp()
        let stamp = Date(timeIntervalSince1970: 1_795_237_200.123456)
        fixture.store.emit(LogLine(timestamp: stamp, appID: app.id, source: "app", process: "web.1", message: "hello"))
        fixture.store.emit(line(app, "router", "at=info method=GET path=\"/\"", source: "heroku"))
        fixture.store.emit(line(app, "api", "Deploy abc1234 by user x@example.com"))
        let lines = await collect(fixture.store.read(app: app, query: LogQuery(lines: 10)))
        #expect(lines.count == 3)
        #expect(lines.first == "2026-11-21T05:00:00.123456+00:00 app[web.1]: hello")
        #expect(lines[1].hasSuffix(" heroku[router]: at=info method=GET path=\"/\""))
        #expect(lines[2].hasSuffix(" app[api]: Deploy abc1234 by user x@example.com"))
    }

    @Test func filtersByDynoTypeAndSourceAndCountsFromTheEnd() async throws {
        let fixture = StartedStore()
        let app = testApp()
        for index in 1...20 {
            fixture.store.emit(line(app, "web.\(index % 2 + 1)", "web \(index)"))
            fixture.store.emit(line(app, "worker.1", "work \(index)"))
            fixture.store.emit(line(app, "web.1", "state \(index)", source: "heroku"))
        }
        let store = fixture.store
        let lastFive = await collect(store.read(app: app, query: LogQuery(lines: 5)))
        #expect(messages(lastFive) == ["work 19", "state 19", "web 20", "work 20", "state 20"])
        let web1 = await collect(store.read(app: app, query: LogQuery(lines: 100, dyno: "web.1")))
        #expect(web1.allSatisfy { $0.contains("[web.1]: ") })
        #expect(web1.count == 30)
        let web = await collect(store.read(app: app, query: LogQuery(lines: 100, dyno: "web")))
        #expect(web.count == 40)
        let workers = await collect(store.read(app: app, query: LogQuery(lines: 3, dyno: "worker")))
        #expect(messages(workers) == ["work 18", "work 19", "work 20"])
        let platform = await collect(store.read(app: app, query: LogQuery(lines: 100, source: "heroku")))
        #expect(platform.count == 20 && platform.allSatisfy { $0.contains(" heroku[web.1]: ") })
        let apps = await collect(store.read(app: app, query: LogQuery(lines: 100, dyno: "web", source: "app")))
        #expect(apps.count == 20)
    }

    @Test func multiLineAndHugeMessagesAreSplitLikeLogplex() async throws {
        let fixture = StartedStore()
        let app = testApp()
        fixture.store.emit(line(app, "web.1", "first\nsecond\r\nthird"))
        fixture.store.emit(line(app, "web.1", String(repeating: "é", count: 6_000)))
        let lines = await collect(fixture.store.read(app: app, query: LogQuery(lines: 10)))
        #expect(messages(Array(lines.prefix(3))) == ["first", "second", "third"])
        #expect(lines.count == 5)
        #expect(messages(Array(lines.suffix(2))).map(\.utf8.count) == [10_000, 2_000])
    }

    @Test func theLogSurvivesARestartOfTheStore() async throws {
        let fixture = StartedStore()
        let app = testApp()
        for index in 1...100 { fixture.store.emit(line(app, "web.1", "before \(index)")) }
        await fixture.store.flushed(appID: app.id)
        fixture.store.stop()
        let restarted = LogStore(layout: fixture.layout)
        restarted.start()
        defer { restarted.stop() }
        restarted.emit(line(app, "web.1", "after"))
        let lines = await collect(restarted.read(app: app, query: LogQuery(lines: 3)))
        #expect(messages(lines) == ["before 99", "before 100", "after"])
    }

    @Test func eachAppStaysWithinItsLimitAndTheOldestLinesGoFirst() async throws {
        let fixture = StartedStore(settings: LogSettings(size: 64 << 10))
        let app = testApp()
        let text = String(repeating: "x", count: 200)
        for index in 1...2_000 { fixture.store.emit(line(app, "web.1", "\(index) \(text)")) }
        await fixture.store.flushed(appID: app.id)
        let directory = fixture.store.directory(appID: app.id)
        let bytes = directory.generations().reduce(0) { total, generation in
            total + ((try? FileManager.default.attributesOfItem(atPath: directory.file(generation))[.size] as? Int) ?? 0)
        }
        #expect(bytes <= 64 << 10 + 4096, "\(bytes) bytes on disk")
        let lines = await collect(fixture.store.read(app: app, query: LogQuery(lines: 1500)))
        #expect(lines.count > 100 && lines.count < 400)
        #expect(messages(lines).last?.hasPrefix("2000 ") == true)
        let numbers = messages(lines).compactMap { Int($0.prefix { $0 != " " }) }
        #expect(numbers == Array(numbers.first!...2000))
    }

    @Test func aTailFarBehindReadsEveryLineWholeFromTheFiles() async throws {
        let fixture = StartedStore()
        let app = testApp()
        fixture.store.emit(line(app, "web.1", "first"))
        var lines = fixture.store.read(app: app, query: LogQuery(lines: 1, tail: true)).makeAsyncIterator()
        #expect(await lines.next()?.hasSuffix("]: first") == true)
        // Megabytes more than the store keeps in memory: the tail reads them from disk, in
        // reads that end in the middle of lines.
        let count = 40_000
        for index in 1...count { fixture.store.emit(line(app, "web.1", "line \(index) " + String(repeating: "x", count: index % 97))) }
        await fixture.store.flushed(appID: app.id)
        for index in 1...count {
            let next = await lines.next()
            guard next?.hasSuffix("]: line \(index) " + String(repeating: "x", count: index % 97)) == true else {
                Issue.record("line \(index) is \(next ?? "missing")")
                return
            }
        }
    }

    @Test func aTailSeesNewLinesAndEndsWhenItsTaskIsCancelled() async throws {
        let fixture = StartedStore()
        let app = testApp()
        fixture.store.emit(line(app, "web.1", "old"))
        let tail = Collector(fixture.store.read(app: app, query: LogQuery(lines: 1, tail: true)))
        await tail.wait { $0.count == 1 }
        fixture.store.emit(line(app, "web.1", "new"))
        let seen = await tail.wait { $0.count == 2 }
        #expect(messages(seen) == ["old", "new"])
        tail.cancel()
        await tail.finish()
    }

    @Test func fiftyConcurrentTailsReceiveEveryLine() async throws {
        let fixture = StartedStore()
        let app = testApp()
        fixture.store.emit(line(app, "web.1", "start"))
        let tails = (0..<50).map { _ in Collector(fixture.store.read(app: app, query: LogQuery(lines: 1, tail: true))) }
        // A tail is attached once it has read its history (the marker line).
        for tail in tails { await tail.wait { !$0.isEmpty } }
        let producers = (1...4).map { worker in
            Task.detached {
                for index in 1...2_500 { fixture.store.emit(line(app, "web.\(worker)", "\(worker)-\(index)")) }
            }
        }
        for producer in producers { await producer.value }
        for tail in tails {
            let lines = await tail.wait { $0.count == 10_001 }
            #expect(lines.count == 10_001)
            for worker in 1...4 {
                let own = messages(lines).filter { $0.hasPrefix("\(worker)-") }
                #expect(own == (1...2_500).map { "\(worker)-\($0)" })
            }
            tail.cancel()
        }
    }

    @Test func aReaderThatNeverReadsDoesNotHoldUpTheProducerAndALiveReaderGetsEverything() async throws {
        let fixture = StartedStore(settings: LogSettings(size: 64 << 20))
        let app = testApp()
        // A stalled reader: its stream is made and started but never read again.
        fixture.store.emit(line(app, "web.1", "start"))
        let stalled = fixture.store.read(app: app, query: LogQuery(lines: 1, tail: true))
        var stalledIterator = stalled.makeAsyncIterator()
        #expect(await stalledIterator.next() != nil)
        let live = Collector(fixture.store.read(app: app, query: LogQuery(lines: 1, tail: true)))
        await live.wait { !$0.isEmpty }
        let count = 100_000
        for index in 1...count { fixture.store.emit(line(app, "web.1", "line \(index)")) }
        let lines = await live.wait(seconds: 120) { $0.count >= count + 1 }
        #expect(lines.count == count + 1)
        #expect(lines.last?.hasSuffix("line \(count)") == true)
        #expect(!lines.contains { $0.contains("Error L1") })
        live.cancel()
        _ = stalledIterator
    }

    @Test func linesBeyondThePendingBufferAreDroppedCountedAndReported() async throws {
        let fixture = StartedStore(settings: LogSettings(pendingBytes: 4096), start: false)
        let app = testApp()
        // The writer is not running (a stalled disk): the buffer fills, the rest is dropped.
        for index in 1...200 { fixture.store.emit(line(app, "web.1", "line \(index)")) }
        fixture.store.start()
        let lines = await collect(fixture.store.read(app: app, query: LogQuery(lines: 1500)))
        let kept = lines.filter { $0.contains("app[web.1]") }.count
        #expect(kept > 10 && kept < 200)
        let notice = try #require(lines.last)
        #expect(notice.contains(" heroku[logplex]: Error L10 (output buffer overflow): \(200 - kept) messages dropped since "), "\(notice)")
    }

    @Test func aTailThatFallsBehindWhatTheLogKeepsIsToldHowManyLinesItLost() async throws {
        let fixture = StartedStore(settings: LogSettings(size: 64 << 10, cacheBytes: 4096))
        let app = testApp()
        fixture.store.emit(line(app, "web.1", "first"))
        let slow = fixture.store.read(app: app, query: LogQuery(lines: 1, tail: true))
        var iterator = slow.makeAsyncIterator()
        #expect(await iterator.next()?.hasSuffix("first") == true)
        let text = String(repeating: "y", count: 200)
        for index in 1...3_000 { fixture.store.emit(line(app, "web.1", "\(index) \(text)")) }
        await fixture.store.flushed(appID: app.id)
        var notice: String?
        var last = ""
        while let next = await iterator.next() {
            if next.contains("Error L11") { notice = next }
            last = next
            if last.contains("]: 3000 ") { break }
        }
        let told = try #require(notice)
        #expect(told.contains(" heroku[logplex]: Error L11 (Tail buffer overflow): This tail session dropped "), "\(told)")
        #expect(last.contains("]: 3000 "))
    }
}

/// Every line of a finite stream.
func collect(_ stream: AsyncStream<String>) async -> [String] {
    var lines: [String] = []
    for await line in stream { lines.append(line) }
    return lines
}
