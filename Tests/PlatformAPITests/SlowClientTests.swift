import Dispatch
import Hummingbird
import NIOCore
import Synchronization
import Testing

@testable import PlatformAPI

/// What a client that reads slowly, or a flood of password checks, may cost the API.
@Suite(.timeLimit(.minutes(15))) struct SlowClientTests {
    /// Counts lines taken from a source and written to a client.
    final class Progress: Sendable {
        private let state = Mutex((pulled: 0, written: 0, mostAhead: 0))

        func pulled() {
            state.withLock { state in
                state.pulled += 1
                state.mostAhead = max(state.mostAhead, state.pulled - state.written)
            }
        }

        func wrote() -> Int { state.withLock { state in state.written += 1; return state.written } }
        var mostAhead: Int { state.withLock { $0.mostAhead } }
    }

    struct Enough: Error {}

    /// A client that takes its time over every line and leaves after `lines` of them.
    struct SlowWriter: ResponseBodyWriter {
        let progress: Progress
        let lines: Int

        mutating func write(_ buffer: ByteBuffer) async throws {
            for _ in 0..<20 { await Task.yield() }
            if progress.wrote() >= lines { throw Enough() }
        }

        consuming func finish(_ trailingHeaders: HTTPFields?) async throws {}
    }

    @Test func aTailingStreamReadsItsSourceOnlyALittleAheadOfItsClient() async throws {
        let progress = Progress()
        let endless = AsyncStream<String>(unfolding: {
            if Task.isCancelled { return nil }
            progress.pulled()
            return "2026-12-06T00:00:00+00:00 app[web.1]: a line of a flood"
        })
        let response = TextStream.response(endless, events: true, tail: true, heartbeat: .seconds(3600))
        await #expect(throws: Enough.self) { try await response.body.write(SlowWriter(progress: progress, lines: 2_000)) }
        #expect(progress.mostAhead <= TextStream.readAhead + 2, "\(progress.mostAhead) lines held for the client")
    }

    /// Records the order jobs ran in.
    final class Order: Sendable {
        private let names = Mutex<[String]>([])
        func append(_ name: String) { names.withLock { $0.append(name) } }
        var all: [String] { names.withLock { $0 } }
    }

    @Test func firstJobsRunAheadOfLaterOnesAndFullLanesRefuseAtOnce() async throws {
        let pool = BlockingPool(name: "openruko-test-pool", threads: 1, queueLimit: 2)
        let order = Order()
        let gate = DispatchSemaphore(value: 0)
        let running = DispatchSemaphore(value: 0)
        let blocker = Task { try await pool.run(.later) { running.signal(); gate.wait() } }
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                running.wait()
                continuation.resume()
            }
        }
        func enqueue(_ name: String, _ lane: BlockingPool.Lane) async -> Task<Void, any Error> {
            let before = pool.waiting
            let task = Task { try await pool.run(lane) { order.append(name) } }
            while pool.waiting == before { await Task.yield() }
            return task
        }
        let later1 = await enqueue("later1", .later)
        let later2 = await enqueue("later2", .later)
        await #expect(throws: BlockingPool.Full.self) { try await pool.run(.later) {} }
        let first = await enqueue("first", .first)
        gate.signal()
        for task in [blocker, later1, later2, first] { try await task.value }
        #expect(order.all == ["first", "later1", "later2"])
    }
}
