import Foundation
import NIOCore
import OpenrukoCore

/// What `ProxyStateMachine`'s events return, and the timeouts it decides with.
extension ProxyStateMachine {
    /// What follows an answer: the next request, the rest of this one's body, or the end.
    enum After: Hashable {
        case idle
        case discarding
        /// Close once what was written has gone out (the answer says `Connection: close`).
        case close
    }

    /// The end of a response from a dyno.
    struct Ending: Hashable {
        /// The dyno connection goes back to the pool (else it is closed).
        var releaseDyno: Bool
        var then: After
    }

    /// What the bytes at the front of the client's buffer are, while a body is being read.
    enum BodyStep: Hashable {
        /// This many bytes belong to the body (to the dyno while forwarding, dropped while
        /// discarding); go on with what follows.
        case take(Int)
        /// This many bytes ended a discarded body, and the connection closes (draining).
        case takeThenClose(Int)
        /// The body's framing is broken: close the dyno connection, and the client's after a flush.
        case malformed
    }

    /// The dyno closed its connection (or sent something unreadable).
    enum DynoClosed: Hashable {
        /// A kept-alive connection the dyno had just closed, nothing sent on it but the head:
        /// send the request again on a new connection to the same dyno (once).
        case replay
        /// No response yet: answer with this error (H13).
        case fail(RoutingError)
        /// The response was cut short: log it and close the client's connection after a flush.
        case endResponse
        /// The tunnel's far end went away (or the connection is closing already): close after
        /// a flush.
        case close
    }

    /// The dyno answered 101.
    enum Switch: Hashable {
        /// Both connections become one byte tunnel; the timer must fire no later than this.
        case tunnel(idleDeadline: NIODeadline)
        /// The client did not ask for an upgrade: answer with this error.
        case refuse(RoutingError)
    }

    /// The client's connection closed.
    enum ClientClosed: Hashable {
        case nothing
        /// Close the tunnel's dyno connection.
        case closeTunnel
        /// The client went away mid-request: close the dyno connection and log this error (H27).
        case abandon(RoutingError)
    }

    /// What to do with the route table's answer for the request's host.
    enum Route: Hashable {
        /// Answer with this error page (404, H10, H14, H80).
        case fail(RoutingError)
        /// The app's web dynos are booting: `appStarting` says whether to wait for them.
        case waitForBoot
        /// Connect to one of these dynos of the app (`nextCandidate`).
        case connect(appID: UUID, [Backend])
    }

    /// The next dyno to try for the current request.
    enum Candidate: Hashable {
        /// Try the candidate at this position (0 first) in round-robin order.
        case attempt(Int)
        /// Every dyno was tried: answer with this error.
        case fail(RoutingError)
    }

    /// The timeouts the machine decides with (`RouterConfiguration`'s).
    struct Timeouts: Hashable {
        /// `clientIdleTimeout`: no (whole) head for this long closes a connection.
        var clientIdle: TimeAmount
        /// `responseTimeout`: H12.
        var response: TimeAmount
        /// `responseIdleTimeout`: H15's window.
        var responseIdle: TimeAmount
        /// `responseMinimumBytes`: what a client must take per window while it holds us up.
        var responseMinimumBytes: Int
        /// `tunnelIdleTimeout`.
        var tunnelIdle: TimeAmount
        /// `requestBodyIdleTimeout`: H28 for a body that stops.
        var requestBodyIdle: TimeAmount
        /// `requestBodyTimeout` and `requestBodyMinimumRate`: H28 for a body far too slow.
        var requestBody: TimeAmount
        var requestBodyMinimumRate: Int

        /// The router's settings.
        init(_ configuration: borrowing RouterConfiguration) {
            clientIdle = configuration.clientIdleTimeout
            response = configuration.responseTimeout
            responseIdle = configuration.responseIdleTimeout
            responseMinimumBytes = configuration.responseMinimumBytes
            tunnelIdle = configuration.tunnelIdleTimeout
            requestBodyIdle = configuration.requestBodyIdleTimeout
            requestBody = configuration.requestBodyTimeout
            requestBodyMinimumRate = configuration.requestBodyMinimumRate
        }
    }
}
