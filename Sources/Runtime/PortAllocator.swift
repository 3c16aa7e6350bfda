import NIOCore
import NIOPosix
import Synchronization

/// Hands out the `$PORT` of each dyno from a range: never one another dyno holds, and only
/// one nothing else on the host listens on right now.
package final class PortAllocator: Sendable {
    private struct State {
        var inUse: Set<Int> = []
        var next: Int
    }

    private let range: ClosedRange<Int>
    private let state: Mutex<State>

    package init(range: ClosedRange<Int>) {
        self.range = range
        // A random first port: daemons sharing a host (tests, staging next to production)
        // rarely reach for the same free port at the same moment.
        state = Mutex(State(next: Int.random(in: range)))
    }

    /// A free port, or nil when the whole range is taken.
    package func allocate() async -> Int? {
        for _ in 0..<range.count {
            let candidate: Int? = state.withLock { state in
                let port = state.next
                state.next = port >= range.upperBound ? range.lowerBound : port + 1
                guard !state.inUse.contains(port) else { return nil }
                state.inUse.insert(port)
                return port
            }
            guard let candidate else { continue }
            if await Self.isBindable(candidate) { return candidate }
            release(candidate)
        }
        return nil
    }

    /// Gives a port back.
    package func release(_ port: Int) {
        _ = state.withLock { $0.inUse.remove(port) }
    }

    /// Whether a TCP socket can bind `0.0.0.0:port` now.
    static func isBindable(_ port: Int) async -> Bool {
        do {
            let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "0.0.0.0", port: port).get()
            try? await channel.close()
            return true
        } catch {
            return false
        }
    }

    /// Whether something accepts TCP connections on `host:port`.
    package static func accepts(_ port: Int, host: String = "127.0.0.1") async -> Bool {
        do {
            let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connectTimeout(.seconds(1)).connect(host: host, port: port).get()
            try? await channel.close()
            return true
        } catch {
            return false
        }
    }
}
