package import Foundation

/// Where one custom domain of an app with automatic certificates (`certs:auto:enable`,
/// Heroku's ACM) stands: what `certs:auto APP` shows and what the daemon's ACME service
/// decides from.
package struct AutomaticCertificate: Hashable, Sendable, Codable {
    /// Heroku's `acm_status` words.
    package enum Status: String, Hashable, Sendable, Codable {
        /// Not asked for yet, or an order is under way.
        case pending
        /// The certificate is stored and served.
        case issued = "cert issued"
        /// The last attempt failed; `reason` says why. Tried again later.
        case failed
    }

    package var hostname: String
    package var appID: UUID
    package var status: Status
    /// Why the last attempt failed (the ACME server's problem detail, or ours).
    package var reason: String?
    /// The certificate in the store, once issued.
    package var certificateID: UUID?
    package var expiresAt: Date?
    /// Failed attempts in a row (for the retry backoff).
    package var failures: Int
    /// Not tried again before this.
    package var nextAttemptAt: Date
    package var updatedAt: Date

    package init(
        hostname: String, appID: UUID, status: Status = .pending, reason: String? = nil, certificateID: UUID? = nil,
        expiresAt: Date? = nil, failures: Int = 0, nextAttemptAt: Date = .distantPast, updatedAt: Date = Date()
    ) {
        self.hostname = hostname
        self.appID = appID
        self.status = status
        self.reason = reason
        self.certificateID = certificateID
        self.expiresAt = expiresAt
        self.failures = failures
        self.nextAttemptAt = nextAttemptAt
        self.updatedAt = updatedAt
    }
}
