import Foundation
import Logging
import OpenrukoCore
import Operations
import ServiceLifecycle

/// Orders and renews the certificates of apps with automatic certificates on
/// (`certs:auto:enable`): every few seconds it reads which custom domains need one (new,
/// failed and due for a retry, or within `renewBefore` of expiry) and runs their ACME orders
/// one after another; issued certificates are stored like uploads, so the router serves them
/// by SNI, and failures are recorded with the reason for `certs:auto`.
final class ACMEService: Service, Sendable {
    private let platform: Platform
    private let challenges: ACMEChallenges
    private let settings: ACMESettings
    private let logger: Logger

    init(platform: Platform, challenges: ACMEChallenges, settings: ACMESettings, logger: Logger) {
        self.platform = platform
        self.challenges = challenges
        self.settings = settings
        self.logger = logger
    }

    func run() async throws {
        await cancelWhenGracefulShutdown {
            var client: ACMEClient?
            while !Task.isCancelled {
                client = await self.sweep(client)
                try? await Task.sleep(for: self.settings.interval)
            }
        }
    }

    /// One pass over the domains that are due; returns the client for the next pass.
    func sweep(_ existing: ACMEClient?) async -> ACMEClient? {
        let schedule = settings.schedule
        let due: [AutomaticCertificate]
        do {
            due = try platform.automaticCertificateWork().filter { schedule.isDue($0, now: Date()) }
        } catch {
            logger.warning("cannot read the automatic certificates: \(error.message)")
            return existing
        }
        guard !due.isEmpty else { return existing }
        let client: ACMEClient
        if let existing {
            client = existing
        } else {
            do {
                client = ACMEClient(
                    directoryURL: settings.directoryURL, transport: ACMETransport(caFile: settings.caFile, timeout: settings.timeout),
                    key: try platform.acmeAccountKey(), challenges: challenges)
            } catch {
                logger.warning("cannot use the ACME account key: \(error.message)")
                return nil
            }
        }
        var failed = false
        for state in due {
            if Task.isCancelled { break }
            let outcome = await client.issue(host: state.hostname)
            if Task.isCancelled { break }
            if case .failed = outcome { failed = true }
            record(outcome, for: state, schedule: schedule)
        }
        // After a failure the next pass starts afresh (directory, account): the CA may have
        // forgotten the account or moved its endpoints.
        return failed ? nil : client
    }

    private func record(_ outcome: ACMEClient.Outcome, for state: AutomaticCertificate, schedule: AutomaticCertificateSchedule) {
        switch outcome {
        case .issued(let chain, let key):
            do {
                guard let stored = try platform.storeAutomaticCertificate(state, chain: chain, keyPEM: key, schedule: schedule) else {
                    return logger.info("automatic certificate for \(state.hostname) dropped: no longer wanted")
                }
                logger.info("automatic certificate for \(state.hostname) issued (\(stored.name), expires \(stored.expiresAt))")
            } catch {
                fail(state, error.message, schedule: schedule)
            }
        case .failed(let reason):
            fail(state, reason, schedule: schedule)
        }
    }

    private func fail(_ state: AutomaticCertificate, _ reason: String, schedule: AutomaticCertificateSchedule) {
        logger.warning("automatic certificate for \(state.hostname) failed: \(reason)")
        try? platform.saveAutomaticCertificate(schedule.failed(state, reason: reason, now: Date()))
    }
}
