import Foundation
import HTTPTypes
import OpenrukoCore
import Operations
import Synchronization

/// Checks e-mail and password logins (`POST /oauth/authorizations` with Basic credentials,
/// `heroku login -i`) without letting them be used against the server: the `LoginThrottle`
/// decides first (too many failures for the account or from the address: 429 `rate_limit`
/// with `Retry-After`, and no bcrypt at all), then bcrypt runs on a `BlockingPool` of its own,
/// never on the threads that serve other requests, logins of accounts and sources without
/// recent failures ahead of the rest (so failures never delay another account's login).
final class PasswordLogin: Sendable {
    private let throttle: Mutex<LoginThrottle>
    private let pool: BlockingPool

    init(policy: LoginThrottle.Policy = LoginThrottle.Policy(), pool: BlockingPool = .passwords) {
        throttle = Mutex(LoginThrottle(policy: policy))
        self.pool = pool
    }

    /// The user whose e-mail and password these are.
    /// - Parameter source: the client's address.
    /// - Throws: 401 `unauthorized` for a wrong e-mail or password, 429 `rate_limit` while the
    ///   account or the source is throttled, 503 `unavailable` while too many checks wait.
    func user(email: String, password: String, source: String, platform: Platform) async throws -> User {
        let verdict = throttle.withLock { $0.attempt(account: email, source: source, now: .now) }
        let attempt: LoginThrottle.Attempt
        switch verdict {
        case .refused(let wait):
            let seconds = max(1, Int((Double(wait.components.seconds) + Double(wait.components.attoseconds) / 1e18).rounded(.up)))
            throw APIError(
                .tooManyRequests, id: "rate_limit",
                "Too many failed logins for this account or from this address. Please wait \(seconds) seconds before trying again.",
                retryAfter: seconds)
        case .allowed(let admitted):
            attempt = admitted
        }
        let user: User?
        do {
            user = try await pool.run(attempt.isClean ? .first : .later) { try platform.checkPassword(email: email, password: password) }
        } catch is BlockingPool.Full {
            throttle.withLock { $0.withdraw(attempt) }
            throw APIError(.serviceUnavailable, id: "unavailable", "Too many logins are being checked right now; try again shortly.", retryAfter: 5)
        } catch {
            throttle.withLock { $0.withdraw(attempt) }
            throw error
        }
        guard let user else { throw OpenrukoError(.unauthorized, "Invalid credentials provided.") }
        throttle.withLock { $0.succeeded(attempt) }
        return user
    }
}
