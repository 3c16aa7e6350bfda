import Foundation
import NIOCore
import OpenrukoCore

/// One request's trip through the router, as the I/O sees it: the log line, the head to send,
/// the dynos to try and the connection in use. Its protocol facts (keep-alive, body, replay,
/// response started) are `ProxyStateMachine`'s.
final class Exchange {
    /// The router log line, filled in as the exchange goes.
    var log: RouterLogEntry
    /// The app, once the route table named one (no app, no log line).
    var appID: UUID?
    /// The head the dyno receives (kept for a replay on a fresh connection).
    let request: ByteBuffer
    let isHEAD: Bool
    let clientMinorVersion: Int
    let started: NIODeadline
    /// The wall clock at `started` (`X-Request-Start`, log timestamps).
    let startedWall: Date

    /// The app's up dynos and where round-robin starts; each is tried at most once.
    var backends: [Backend] = []
    var firstBackend = 0
    var backend: Backend?
    /// The dyno whose in-flight count this request holds.
    var counted: UUID?
    var connection: BackendConnection?
    var bytes = 0

    init(log: RouterLogEntry, request: ByteBuffer, clientMinorVersion: Int, isHEAD: Bool, started: NIODeadline, startedWall: Date) {
        self.log = log
        self.request = request
        self.isHEAD = isHEAD
        self.clientMinorVersion = clientMinorVersion
        self.started = started
        self.startedWall = startedWall
    }

    /// The wall clock at `now`, without asking the system again.
    func wallClock(at now: NIODeadline) -> Date {
        startedWall.addingTimeInterval(Double((now - started).nanoseconds) / 1_000_000_000)
    }

    /// The `attempt`-th dyno to try, in round-robin order.
    func candidate(_ attempt: Int) -> Backend {
        backends[(firstBackend + attempt) % backends.count]
    }

    /// Milliseconds since `start`, for the log.
    static func milliseconds(since start: NIODeadline, now: NIODeadline) -> Int {
        Int((now - start).nanoseconds / 1_000_000)
    }
}
