import Foundation

/// The decisions of one ACME order for one domain (RFC 8555 §7.4): from the new order through
/// its authorization and HTTP-01 challenge, finalization and the download of the chain. Pure:
/// the ACME service performs each `Action` and feeds back what the server answered.
///
/// ```swift
/// var machine = ACMEOrderMachine()
/// var action = machine.start()                       // .createOrder
/// action = machine.handle(.order(order, url: location))
/// ```
///
/// Order: pending → ready → processing → valid, or invalid; an authorization: pending →
/// valid or invalid. Polls back off (0.5 s, growing to 5 s) and give up after `maximumPolls`.
package struct ACMEOrderMachine: Sendable {
    /// What to do next.
    package enum Action: Equatable, Sendable {
        /// POST the new order for the domain.
        case createOrder
        /// POST-as-GET the authorization.
        case fetchAuthorization(url: String)
        /// Publish the token's key authorization on the router, then POST `{}` to the challenge.
        case respond(challengeURL: String, token: String)
        /// Wait, then POST-as-GET the authorization again.
        case pollAuthorization(url: String, after: Duration)
        /// Finalize with the CSR.
        case finalize(url: String)
        /// Wait, then POST-as-GET the order again.
        case pollOrder(url: String, after: Duration)
        /// POST-as-GET the certificate chain.
        case download(url: String)
        /// The chain arrived.
        case finished(chainPEM: String)
        /// The order cannot succeed; the reason is for `certs:auto`.
        case failed(reason: String)
    }

    /// What the server answered.
    package enum Event: Sendable {
        /// An order (on creation `url` is its `Location`).
        case order(ACMEOrder, url: String?)
        case authorization(ACMEAuthorization, url: String)
        /// The server took the challenge response.
        case challengeAccepted
        case certificate(String)
        /// An error document, or a transport failure in words.
        case problem(String)
    }

    /// Most polls of one order before it is given up.
    package static let maximumPolls = 60

    private var orderURL: String?
    private var finalizeSent = false
    /// Authorizations still to see valid, in the order's order.
    private var remaining: [String] = []
    private var sawAuthorizations = false
    private var responded: Set<String> = []
    private var current: String?
    private var polls = 0
    package private(set) var isDone = false

    package init() {}

    /// The first action.
    package mutating func start() -> Action { .createOrder }

    /// The next action after `event`.
    package mutating func handle(_ event: Event) -> Action {
        guard !isDone else { return .failed(reason: "The order is over.") }
        let action = decide(event)
        switch action {
        case .finished, .failed: isDone = true
        default: break
        }
        return action
    }

    private mutating func decide(_ event: Event) -> Action {
        switch event {
        case .order(let order, let url):
            if let url { orderURL = url }
            return next(after: order)
        case .authorization(let authorization, let url):
            return next(after: authorization, url: url)
        case .challengeAccepted:
            guard let current else { return .failed(reason: "The challenge was accepted for no authorization.") }
            return poll { .pollAuthorization(url: current, after: $0) }
        case .certificate(let pem):
            guard pem.contains("-----BEGIN CERTIFICATE-----") else {
                return .failed(reason: "The ACME server sent no PEM certificate chain.")
            }
            return .finished(chainPEM: pem)
        case .problem(let reason):
            return .failed(reason: ACMEText.clean(reason))
        }
    }

    private mutating func next(after order: ACMEOrder) -> Action {
        guard let orderURL else { return .failed(reason: "The ACME server gave the order no URL.") }
        switch order.status {
        case "pending":
            if !sawAuthorizations {
                sawAuthorizations = true
                remaining = order.authorizations
            }
            guard let first = remaining.first else { return poll { .pollOrder(url: orderURL, after: $0) } }
            current = first
            return .fetchAuthorization(url: first)
        case "ready":
            guard !finalizeSent else { return poll { .pollOrder(url: orderURL, after: $0) } }
            finalizeSent = true
            return .finalize(url: order.finalize)
        case "processing":
            return poll { .pollOrder(url: orderURL, after: $0) }
        case "valid":
            guard let certificate = order.certificate else { return .failed(reason: "The valid order has no certificate URL.") }
            return .download(url: certificate)
        case "invalid":
            return .failed(reason: order.error?.message ?? "The ACME server marked the order invalid.")
        default:
            return .failed(reason: "The order has an unknown status \(ACMEText.clean(order.status)).")
        }
    }

    private mutating func next(after authorization: ACMEAuthorization, url: String) -> Action {
        guard let orderURL else { return .failed(reason: "The ACME server gave the order no URL.") }
        current = url
        switch authorization.status {
        case "valid":
            remaining.removeAll { $0 == url }
            if let following = remaining.first {
                current = following
                return .fetchAuthorization(url: following)
            }
            return .pollOrder(url: orderURL, after: .zero)
        case "pending":
            if responded.contains(url) { return poll { .pollAuthorization(url: url, after: $0) } }
            guard let challenge = authorization.challenges.first(where: { $0.type == "http-01" }) else {
                return .failed(reason: "The ACME server offers no http-01 challenge for this domain.")
            }
            guard let token = challenge.token, ACMEText.isToken(token) else {
                return .failed(reason: "The ACME server sent a malformed challenge token.")
            }
            responded.insert(url)
            return .respond(challengeURL: challenge.url, token: token)
        case "invalid":
            let problem = authorization.challenges.lazy.compactMap(\.error).first
            return .failed(reason: problem.map { "Validation failed: \($0.message)" } ?? "The domain's authorization is invalid.")
        default:
            return .failed(reason: "The domain's authorization is \(ACMEText.clean(authorization.status)).")
        }
    }

    /// A poll after the next backoff delay, or a failure when there were too many.
    private mutating func poll(_ make: (Duration) -> Action) -> Action {
        polls += 1
        guard polls <= Self.maximumPolls else { return .failed(reason: "The ACME server did not finish the order in time.") }
        return make(Self.delay(poll: polls))
    }

    /// 0.5 s, then 1.5 times longer each poll, at most 5 s.
    package static func delay(poll: Int) -> Duration {
        .milliseconds(Int(min(5000, 500 * pow(1.5, Double(max(0, poll - 1))))))
    }
}
