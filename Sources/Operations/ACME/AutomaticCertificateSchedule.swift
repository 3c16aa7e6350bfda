package import Foundation
package import OpenrukoCore

/// When each domain of an app with automatic certificates is (re)ordered: at once when it
/// has none, 30 days (`renewBefore`) before its certificate expires, and after a failure
/// again after a backoff (1 minute, doubling, at most 6 hours). Pure.
package struct AutomaticCertificateSchedule: Sendable {
    /// How long before expiry a certificate is renewed (30 days; tests shorten it).
    package var renewBefore: TimeInterval
    /// The first retry delay after a failure, and the longest.
    package var firstRetry: TimeInterval = 60
    package var longestRetry: TimeInterval = 6 * 3600

    package init(renewBefore: TimeInterval = 30 * 86_400) {
        self.renewBefore = renewBefore
    }

    /// Whether `state` needs an order now.
    package func isDue(_ state: AutomaticCertificate, now: Date) -> Bool {
        guard state.nextAttemptAt <= now else { return false }
        switch state.status {
        case .pending, .failed: return true
        case .issued: return (state.expiresAt ?? .distantPast).addingTimeInterval(-renewBefore) <= now
        }
    }

    /// The state after a successful order.
    package func issued(_ state: AutomaticCertificate, certificateID: UUID, expiresAt: Date, now: Date) -> AutomaticCertificate {
        var state = state
        state.status = .issued
        state.reason = nil
        state.certificateID = certificateID
        state.expiresAt = expiresAt
        state.failures = 0
        state.nextAttemptAt = now
        state.updatedAt = now
        return state
    }

    /// The state after a failed order: `failed` with the reason, retried after the backoff.
    /// A certificate issued before stays (and is served until it expires).
    package func failed(_ state: AutomaticCertificate, reason: String, now: Date) -> AutomaticCertificate {
        var state = state
        state.status = .failed
        state.reason = ACMEText.clean(reason)
        state.failures += 1
        state.nextAttemptAt = now.addingTimeInterval(retryDelay(failures: state.failures))
        state.updatedAt = now
        return state
    }

    /// The wait after `failures` failures in a row.
    package func retryDelay(failures: Int) -> TimeInterval {
        min(longestRetry, firstRetry * pow(2, Double(max(0, min(failures, 30) - 1))))
    }
}
