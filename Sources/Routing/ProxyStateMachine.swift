import NIOCore
import OpenrukoCore

/// The protocol decisions of one HTTP/1.1 client connection of the router, as a pure state
/// machine: events in (a head parsed, a dyno connected, body bytes taken, a response head or
/// end, the dyno closing, the client closing, a drain, the timer firing…), decisions out; no
/// clocks, sockets or buffers inside (`now` comes in as a value). `ProxyHandler` does the I/O:
/// it feeds the events, performs what comes back and tells the machine what happened.
///
/// idle → routing (a head arrived) → forwarding (a dyno took the request) → idle again after a
/// kept-alive response, discarding (the response is done, the rest of the request body is
/// thrown away) or closed; routing/forwarding → tunnel after a 101. The router's own answers
/// (error pages, ACME challenges) go from routing or forwarding to idle, discarding or closed.
///
/// Each event is a method; decisions are small enums or values returned inline (nothing is
/// allocated per request or per byte event).
///
/// ```swift
/// var machine = ProxyStateMachine(timeouts: .init(configuration))
/// let deadline = machine.start(at: now)                           // arm the timer
/// machine.headParsed(keepAlive: true, wantsUpgrade: false, body: .none, at: now)
/// let responseDeadline = machine.connected(reused: false, at: now)  // send the head
/// let keepAlive = machine.responseHead(untilClose: false, at: now)  // write it to the client
/// machine.responseEnded(dynoReusable: true, at: now)              // .init(releaseDyno: true, then: .idle)
/// ```
struct ProxyStateMachine {
    /// Where the connection is.
    enum Phase: Hashable {
        /// Waiting for (the rest of) a request head.
        case idle
        /// Waiting for the route table (a booting app) or a connection to a dyno.
        case routing
        /// The request body goes to the dyno; the response comes back.
        case forwarding
        /// The response is done; the rest of the request body is thrown away.
        case discarding
        /// After a 101: bytes go straight through.
        case tunnel
        /// Closing (after a flush) or closed: nothing more is read, sent or answered.
        case closed
    }

    /// The protocol facts of the current (or last) request.
    struct Request: Hashable {
        /// The client wants the connection kept open (RFC 9112 §9.3).
        var clientKeepAlive = true
        /// The client asked to switch protocols (`Connection: upgrade` and `Upgrade`).
        var wantsUpgrade = false
        /// The request declares a body.
        var expectsBody = false
        /// Dynos tried so far.
        var attempts = 0
        /// A `.starting` app is waited for until then (H20 after).
        var bootDeadline: NIODeadline?
        /// The dyno connection came from the pool (a stale one may be replaced once).
        var reused = false
        /// The request was already sent again once.
        var replayed = false
        /// When the head was written to the dyno.
        var sentAt: NIODeadline?
        /// Some request body went to the dyno (the request cannot be replayed).
        var bodyForwarded = false
        /// The dyno's final head arrived.
        var responseStarted = false
        /// The client's connection stays open after this response.
        var responseKeepAlive = true
    }

    /// Bytes of a pipelined request read ahead while a response is still on its way.
    static let readAheadLimit = 64 * 1024

    /// The timeouts it decides with.
    let timeouts: Timeouts
    /// Where the connection is (what the driver does with the client's bytes).
    private(set) var phase = Phase.idle
    /// Graceful shutdown: finish the current response, then close.
    private(set) var quiescing = false
    /// The current request's facts (the last one's until the next head).
    private(set) var request = Request()
    /// What is left of the current request's body (after its response too, while discarding).
    private(set) var body = BodyTracker(.none)
    /// The last byte either way: a response byte written, a request head, an answer; both ways
    /// in a tunnel.
    private(set) var lastActivity: NIODeadline
    /// When the current request's head arrived, and when its body last made progress (H28).
    private(set) var bodyStarted: NIODeadline
    private(set) var bodyActivity: NIODeadline
    /// The current window of a response being sent, and the bytes written to the client in it
    /// (a client that reads too slowly, H15).
    private(set) var responseWindowStart: NIODeadline
    private(set) var responseWindowBytes = 0

    /// A connection accepted at `now`, waiting for its first request head.
    init(timeouts: Timeouts, now: NIODeadline = .uptimeNanoseconds(0)) {
        self.timeouts = timeouts
        lastActivity = now
        bodyStarted = now
        bodyActivity = now
        responseWindowStart = now
    }

    /// The client sent the whole request.
    var requestEnded: Bool { body.isComplete }

    /// Whether to read from the client now: only when there is somewhere to put the bytes.
    /// While a request body streams, the client is read only as fast as the dyno takes it;
    /// once the request is complete, reading goes on (a pipelined request may wait, up to
    /// `readAheadLimit` bytes): so a waiting keep-alive connection keeps its read interest and
    /// costs no epoll changes.
    /// - Parameters:
    ///   - buffered: bytes read from the client and not handled yet.
    ///   - dynoWritable: the dyno connection (of the exchange or the tunnel) takes more bytes;
    ///     asked only while a body streams or in a tunnel.
    func shouldRead(buffered: Int, dynoWritable: @autoclosure () -> Bool) -> Bool {
        switch phase {
        case .idle, .discarding:
            true
        case .forwarding:
            requestEnded ? buffered < Self.readAheadLimit : buffered == 0 && dynoWritable()
        case .tunnel:
            buffered == 0 && dynoWritable()
        case .routing, .closed:
            false
        }
    }

    /// Whether bytes arriving from the client now count as activity (`clientBytesArrived`):
    /// body bytes keep the body going (not a response's window), tunnel bytes keep the tunnel
    /// open; a head must arrive whole within the idle timeout, and a pipelined head read ahead
    /// counts for neither.
    var timesClientBytes: Bool {
        switch phase {
        case .discarding, .tunnel: true
        case .forwarding: !requestEnded
        case .idle, .routing, .closed: false
        }
    }

    // MARK: - Events

    /// The connection is up; returns when the timer must fire (a first head within the idle
    /// timeout).
    mutating func start(at now: NIODeadline) -> NIODeadline {
        lastActivity = now
        return now + timeouts.clientIdle
    }

    /// Bytes arrived from the client (call only when `timesClientBytes`).
    mutating func clientBytesArrived(at now: NIODeadline) {
        if phase == .tunnel { lastActivity = now } else { bodyActivity = now }
    }

    /// A request head was read: the request is routed next.
    mutating func headParsed(keepAlive: Bool, wantsUpgrade: Bool, body length: BodyLength, at now: NIODeadline) {
        lastActivity = now
        bodyStarted = now
        bodyActivity = now
        body = BodyTracker(length)
        request = Request(clientKeepAlive: keepAlive, wantsUpgrade: wantsUpgrade, expectsBody: length != .none)
        phase = .routing
    }

    /// The route table answered for the request's host.
    func routed(_ target: RouteTarget) -> Route {
        switch target {
        case .unknownHost: .fail(.noSuchApp)
        case .noWebDynos: .fail(.noWebDynos)
        case .crashed: .fail(.appCrashed)
        case .maintenance: .fail(.maintenance)
        case .starting: .waitForBoot
        case .backends(_, let appID, let backends): backends.isEmpty ? .fail(.noWebDynos) : .connect(appID: appID, backends)
        }
    }

    /// The route table says the app's web dynos are booting: whether to look again shortly
    /// (false: the boot wait, counted from the first look, ran out: H20).
    mutating func appStarting(at now: NIODeadline, bootWait: TimeAmount) -> Bool {
        let deadline = request.bootDeadline ?? now + bootWait
        request.bootDeadline = deadline
        return now < deadline
    }

    /// Which of the app's `count` dynos to try next; each is tried at most once, then the last
    /// connection error is the answer.
    mutating func nextCandidate(of count: Int, lastError: RoutingError) -> Candidate {
        guard request.attempts < count else { return .fail(lastError) }
        request.attempts += 1
        return .attempt(request.attempts - 1)
    }

    /// A dyno connection (pooled when `reused`) took the request head at `now`; returns when
    /// the timer must fire (the dyno's answer, H12).
    mutating func connected(reused: Bool, at now: NIODeadline) -> NIODeadline {
        request.reused = reused
        request.sentAt = now
        phase = .forwarding
        return now + timeouts.response
    }

    /// How many bytes at the front of `bytes` belong to the request body (call while
    /// forwarding a body, or discarding one).
    mutating func takeBody(_ bytes: Span<UInt8>) -> BodyStep {
        let count: Int
        do {
            count = try body.take(bytes)
        } catch {
            return .malformed
        }
        switch phase {
        case .forwarding:
            if count > 0 { request.bodyForwarded = true }
        case .discarding where body.isComplete:
            phase = .idle
            if quiescing { return .takeThenClose(count) }
        default:
            break
        }
        return .take(count)
    }

    /// The router answers the request itself (an error page, an ACME challenge) at `now`:
    /// keep-alive (`then != .close`) only when the client asked for it, the router is not
    /// draining, the request is no upgrade and its body was read or there is none.
    mutating func answer(at now: NIODeadline) -> After {
        lastActivity = now
        let keepAlive =
            request.clientKeepAlive && !quiescing && !request.wantsUpgrade && (requestEnded || !request.expectsBody)
        guard keepAlive else { return .close }
        return next(afterRequest: requestEnded)
    }

    /// The dyno's final head arrived; returns whether the client's connection stays open after
    /// this response (the client asked, no drain, no upgrade asked, a framed body).
    mutating func responseHead(untilClose: Bool, at now: NIODeadline) -> Bool {
        let keepAlive = request.clientKeepAlive && !quiescing && !request.wantsUpgrade && !untilClose
        request.responseStarted = true
        request.responseKeepAlive = keepAlive
        openResponseWindow(at: now)
        return keepAlive
    }

    /// Starts a window of the response being sent (H15) at `now`.
    mutating func openResponseWindow(at now: NIODeadline) {
        responseWindowStart = now
        responseWindowBytes = 0
    }

    /// `count` bytes were written to the client (response bytes go out only while it reads).
    mutating func wroteToClient(_ count: Int, at now: NIODeadline) {
        lastActivity = now
        responseWindowBytes &+= count
    }

    /// The dyno's response ended at `now`: its connection is pooled when the whole request
    /// went to it and it stays open; the client's connection goes on if the response said so.
    mutating func responseEnded(dynoReusable: Bool, at now: NIODeadline) -> Ending {
        lastActivity = now
        let release = requestEnded && dynoReusable
        guard request.responseKeepAlive && !quiescing else { return Ending(releaseDyno: release, then: .close) }
        return Ending(releaseDyno: release, then: next(afterRequest: requestEnded))
    }

    /// The dyno's connection closed (or broke) during the exchange or the tunnel.
    mutating func dynoClosed() -> DynoClosed {
        if phase == .tunnel || phase == .closed { return .close }
        guard !request.responseStarted else { return .endResponse }
        if request.reused && !request.bodyForwarded && !request.replayed {
            request.replayed = true
            request.sentAt = nil
            phase = .routing
            return .replay
        }
        return .fail(.connectionClosed)
    }

    /// The dyno switched protocols at `now`.
    mutating func switchedProtocols(at now: NIODeadline) -> Switch {
        guard request.wantsUpgrade else { return .refuse(.connectionClosed) }
        phase = .tunnel
        lastActivity = now
        return .tunnel(idleDeadline: now + timeouts.tunnelIdle)
    }

    /// The client's connection closed.
    mutating func clientClosed() -> ClientClosed {
        let was = phase
        phase = .closed
        switch was {
        case .tunnel: return .closeTunnel
        case .routing, .forwarding: return .abandon(.clientInterrupted)
        case .idle, .discarding, .closed: return .nothing
        }
    }

    /// Graceful shutdown (`ChannelShouldQuiesceEvent`): finish the current exchange, then
    /// close. Returns whether to close now (idle with nothing buffered).
    mutating func quiesce(buffered: Int) -> Bool {
        quiescing = true
        return phase == .idle && buffered == 0
    }

    /// The connection is closing (after a flush, or cut); false when it already was.
    mutating func close() -> Bool {
        guard phase != .closed else { return false }
        phase = .closed
        return true
    }

    private mutating func next(afterRequest ended: Bool) -> After {
        phase = ended ? .idle : .discarding
        return ended ? .idle : .discarding
    }
}
