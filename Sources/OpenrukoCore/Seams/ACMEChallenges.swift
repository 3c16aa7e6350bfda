import Synchronization

/// The HTTP-01 challenges openruko has pending: the router's plain listener answers
/// `GET /.well-known/acme-challenge/TOKEN` for a host only with an entry of this table (the
/// ACME service adds it before asking the CA to validate and removes it after); every other
/// request, other tokens included, goes to the app as before.
///
/// ```swift
/// challenges.publish(host: "www.example.com", token: token, keyAuthorization: token + "." + thumbprint)
/// challenges.answer(host: "www.example.com", token: token)   // the key authorization
/// ```
package final class ACMEChallenges: Sendable {
    private let entries = Mutex<[String: String]>([:])
    /// Most challenges pending at once (one per domain being ordered).
    package static let maximumEntries = 4096

    package init() {}

    /// Answers `token` for `host` until `withdraw`. Refused (false) when the table is full.
    @discardableResult
    package func publish(host: String, token: String, keyAuthorization: String) -> Bool {
        entries.withLock { entries in
            guard entries.count < Self.maximumEntries else { return false }
            entries[Self.key(host, token)] = keyAuthorization
            return true
        }
    }

    /// Stops answering `token` for `host`.
    package func withdraw(host: String, token: String) {
        _ = entries.withLock { $0.removeValue(forKey: Self.key(host, token)) }
    }

    /// The key authorization to answer with, or nil (the request goes to the app).
    package func answer(host: String, token: String) -> String? {
        entries.withLock { $0[Self.key(host, token)] }
    }

    /// How many are pending.
    package var count: Int { entries.withLock { $0.count } }

    private static func key(_ host: String, _ token: String) -> String { host.lowercased() + "\n" + token }
}
