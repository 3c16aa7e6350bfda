import Foundation
import NIOCore
import OpenrukoCore

/// One request's trip through the router: what the client asked, where it went, how far it got.
final class Exchange {
    /// The router log line, filled in as the exchange goes.
    var log: RouterLogEntry
    /// The app, once the route table named one (no app, no log line).
    var appID: UUID?
    /// The head the dyno receives (kept for a replay on a fresh connection).
    let request: ByteBuffer
    let isHEAD: Bool
    let clientMinorVersion: Int
    let clientKeepAlive: Bool
    let wantsUpgrade: Bool
    /// The request declares a body.
    let expectsBody: Bool
    let started: NIODeadline
    /// The wall clock at `started` (`X-Request-Start`, log timestamps).
    let startedWall: Date
    /// The client sent the whole request.
    var requestEnded: Bool

    /// A `.starting` app is waited for until then (H20 after).
    var bootDeadline: NIODeadline?
    /// The app's up dynos and where round-robin starts; each is tried at most once.
    var backends: [Backend] = []
    var firstBackend = 0
    var attempts = 0
    var backend: Backend?
    /// The dyno whose in-flight count this request holds.
    var counted: UUID?
    var connection: BackendConnection?
    /// The connection came from the pool (a stale one may be replaced once).
    var reused = false
    var replayed = false
    /// When the head was written to the dyno.
    var sentAt: NIODeadline?
    /// Some request body went to the dyno (the request cannot be replayed).
    var bodyForwarded = false

    /// The dyno's final head arrived.
    var responseStarted = false
    var responseKeepAlive = true
    var bytes = 0

    init(
        log: RouterLogEntry, request: ByteBuffer, head: ParsedHead, isHEAD: Bool, body: BodyLength, started: NIODeadline,
        startedWall: Date
    ) {
        self.log = log
        self.request = request
        self.isHEAD = isHEAD
        self.clientMinorVersion = head.minorVersion
        self.clientKeepAlive = head.keepAlive
        self.wantsUpgrade = head.wantsUpgrade
        self.expectsBody = body != .none
        self.requestEnded = body == .none
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
