import Foundation
import NIOCore
import NIOSSL
import Synchronization

/// The certificates the TLS listener chooses from by SNI name, shared by every connection:
/// uploaded ones by host (replaced as a whole when the store changes) and those the local
/// authority issued, made on first use and kept until near their expiry.
final class SNITable: Sendable {
    /// Issues a certificate for a host (the platform's local authority).
    typealias Issuer = @Sendable (String) throws -> ServedCertificate

    private struct Issued {
        var override: NIOSSLContextConfigurationOverride
        var renewAfter: Date
    }

    private struct State {
        var uploaded: [String: NIOSSLContextConfigurationOverride] = [:]
        var issued: [String: Issued] = [:]
    }

    private let state = Mutex(State())
    private let issuingDomain: String?
    private let issuer: Issuer?
    /// Most issued certificates kept; past it the cache starts over (names are the client's).
    static let issuedLimit = 4096

    init(issuingDomain: String?, issuer: Issuer?) {
        self.issuingDomain = issuer == nil ? nil : issuingDomain
        self.issuer = issuer
    }

    /// Whether handshakes need to ask this table at all.
    var isEmpty: Bool { issuer == nil && state.withLock { $0.uploaded.isEmpty } }

    /// Replaces the uploaded certificates.
    func setUploaded(_ overrides: [String: NIOSSLContextConfigurationOverride]) {
        state.withLock { $0.uploaded = overrides }
    }

    /// What the handshake for `serverName` applies on top of the platform's certificate.
    func override(forServerName serverName: String?, now: Date = Date()) -> NIOSSLContextConfigurationOverride {
        let choice = state.withLock { state in
            CertificateChoice.make(serverName: serverName, hasUploaded: { state.uploaded[$0] != nil }, issuingDomain: issuingDomain)
        }
        switch choice {
        case .platform:
            return .noChanges
        case .uploaded(let host):
            return state.withLock { $0.uploaded[host] } ?? .noChanges
        case .issued(let host):
            if let issued = state.withLock({ $0.issued[host] }), issued.renewAfter > now { return issued.override }
            guard let issuer, let certificate = try? issuer(host), let override = try? certificate.override() else { return .noChanges }
            let renewAfter = certificate.expiresAt.addingTimeInterval(-30 * 86_400)
            state.withLock { state in
                if state.issued.count >= Self.issuedLimit { state.issued.removeAll() }
                state.issued[host] = Issued(override: override, renewAfter: renewAfter)
            }
            return override
        }
    }
}
