import Foundation
import NIOCore
import NIOHTTP1
import OpenrukoCore

/// One request's trip through the router: what the client asked, where it went, how far it got.
struct Exchange {
    /// The router log line, filled in as the exchange goes.
    var log: RouterLogEntry
    /// The app, once the route table named one (no app, no log line).
    var appID: UUID?
    /// The rewritten head for the dyno.
    var request: HTTPRequestHead
    var method: HTTPMethod
    var clientVersion: HTTPVersion
    var clientKeepAlive: Bool
    /// The request declares a body (`Content-Length` > 0 or chunked).
    var expectsBody: Bool
    var wantsUpgrade: Bool
    var started: NIODeadline
    /// The client sent the whole request.
    var requestEnded = false

    /// A `.starting` app is waited for until then (H20 after).
    var bootDeadline: NIODeadline?
    /// Dynos to try, in round-robin order from the chosen one; one attempt each.
    var candidates: [Backend] = []
    var attempts = 0
    var backend: Backend?
    /// The dyno whose in-flight count this request holds.
    var counted: UUID?
    var connection: BackendConnection?
    var connectStarted: NIODeadline?
    /// The connection came from the pool (a stale one may be replaced once).
    var reused = false
    var replayed = false
    /// When the head was written to the dyno.
    var sentAt: NIODeadline?
    /// Some request body went to the dyno (the request cannot be replayed).
    var bodyForwarded = false

    /// The dyno's head arrived (a 101 waits here for its end before the switch).
    var responseStarted = false
    var switchingHead: HTTPResponseHead?
    var framing = ResponseFraming.none
    var responseKeepAlive = true
    var backendKeepAlive = true
    var bytes = 0

    init(log: RouterLogEntry, forwarded: ForwardedRequest, client head: HTTPRequestHead, started: NIODeadline) {
        self.log = log
        self.request = forwarded.head
        self.method = head.method
        self.clientVersion = head.version
        self.clientKeepAlive = head.isKeepAlive
        self.wantsUpgrade = forwarded.wantsUpgrade
        self.started = started
        let length = head.headers.first(name: "content-length").flatMap { Int($0) } ?? 0
        self.expectsBody = length > 0 || forwarded.head.headers.contains(name: "transfer-encoding")
    }

    /// Milliseconds since `start`, for the log.
    static func milliseconds(since start: NIODeadline, now: NIODeadline) -> Int {
        Int((now - start).nanoseconds / 1_000_000)
    }
}
