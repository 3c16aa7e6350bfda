import Foundation
import Operations

/// Where and how often the daemon orders automatic certificates, from its environment:
/// `OPENRUKO_ACME_DIRECTORY` (default Let's Encrypt's production directory),
/// `OPENRUKO_ACME_CA` (a PEM file of a CA to trust for it, such as pebble's), and, for tests,
/// `OPENRUKO_ACME_RENEW_BEFORE` (seconds before expiry a certificate is renewed; 30 days) and
/// `OPENRUKO_ACME_INTERVAL` (seconds between looks at the store; 5) and `OPENRUKO_ACME_TIMEOUT`
/// (seconds one exchange with the server may take; 30).
struct ACMESettings: Sendable {
    static let letsEncrypt = "https://acme-v02.api.letsencrypt.org/directory"

    var directoryURL: String
    var caFile: String?
    var schedule: AutomaticCertificateSchedule
    var interval: Duration
    var timeout: Int

    init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        directoryURL = environment["OPENRUKO_ACME_DIRECTORY"].flatMap { $0.isEmpty ? nil : $0 } ?? Self.letsEncrypt
        caFile = environment["OPENRUKO_ACME_CA"].flatMap { $0.isEmpty ? nil : $0 }
        schedule = AutomaticCertificateSchedule()
        if let seconds = environment["OPENRUKO_ACME_RENEW_BEFORE"].flatMap(TimeInterval.init), seconds >= 0 {
            schedule.renewBefore = seconds
        }
        let interval = environment["OPENRUKO_ACME_INTERVAL"].flatMap(Double.init).map { max(0.2, $0) } ?? 5
        self.interval = .milliseconds(Int(interval * 1000))
        timeout = environment["OPENRUKO_ACME_TIMEOUT"].flatMap(Int.init).map { min(max(1, $0), 300) } ?? 30
    }
}
