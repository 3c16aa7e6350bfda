import Foundation
import GRDB
import OpenrukoCore

/// A row of `acm_domains` (Migration0009AutomaticCertificates).
struct AutomaticCertificateRow: TableRow {
    static let databaseTableName = "acm_domains"
    var hostname: String
    var appId: UUID
    var status: String
    var reason: String?
    var certificateId: UUID?
    var expiresAt: Date?
    var failures: Int
    var nextAttemptAt: Date
    var updatedAt: Date

    init(_ value: AutomaticCertificate) {
        hostname = value.hostname
        appId = value.appID
        status = value.status.rawValue
        reason = value.reason
        certificateId = value.certificateID
        expiresAt = value.expiresAt
        failures = value.failures
        nextAttemptAt = value.nextAttemptAt
        updatedAt = value.updatedAt
    }

    var value: AutomaticCertificate {
        AutomaticCertificate(
            hostname: hostname, appID: appId, status: AutomaticCertificate.Status(rawValue: status) ?? .pending, reason: reason,
            certificateID: certificateId, expiresAt: expiresAt, failures: failures, nextAttemptAt: nextAttemptAt, updatedAt: updatedAt)
    }
}
