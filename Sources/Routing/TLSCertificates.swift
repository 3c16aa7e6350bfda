package import Foundation
import NIOCore
import NIOSSL
import Synchronization

/// What the router's TLS listener (`--router-tls-listen`) serves: the platform's certificate
/// by default (and for any name nothing else covers), an app's uploaded certificate for its
/// custom domain, and where the platform has a local authority and clients accept no wildcard,
/// a certificate of its own for each `APP.DOMAIN`.
///
/// ```swift
/// let certificates = try TLSCertificates(platform: served)
/// try certificates.update(uploaded: ["www.shop.test": shop])   // when the store changes
/// ```
package final class TLSCertificates: Sendable {
    private struct Current {
        var context: NIOSSLContext
        var platform: ServedCertificate
        var asksTable: Bool
    }

    private let table: SNITable
    private let current: Mutex<Current>

    /// - Parameters:
    ///   - platform: the default certificate (`*.DOMAIN` and `DOMAIN`).
    ///   - issuingDomain: whose hosts get certificates from `issuer`.
    ///   - issuer: issues a certificate for one host (the platform's local authority).
    /// - Throws: when the platform's certificate or key cannot be read.
    package init(
        platform: ServedCertificate, issuingDomain: String? = nil, issuer: (@Sendable (String) throws -> ServedCertificate)? = nil
    ) throws {
        let table = SNITable(issuingDomain: issuingDomain, issuer: issuer)
        self.table = table
        let context = try Self.makeContext(platform, table: table)
        current = Mutex(Current(context: context, platform: platform, asksTable: !table.isEmpty))
    }

    /// The context new connections use.
    var context: NIOSSLContext { current.withLock { $0.context } }

    /// Replaces the uploaded certificates, and the platform's one when given.
    /// - Parameter uploaded: host (lowercased) → certificate.
    /// - Returns: the hosts whose certificate could not be read (they get the platform's).
    /// - Throws: when the new platform certificate cannot be read (the old one stays).
    @discardableResult
    package func update(uploaded: [String: ServedCertificate], platform: ServedCertificate? = nil) throws -> [String] {
        var overrides: [String: NIOSSLContextConfigurationOverride] = [:]
        var unreadable: [String] = []
        for (host, certificate) in uploaded {
            if let override = try? certificate.override() { overrides[host] = override } else { unreadable.append(host) }
        }
        table.setUploaded(overrides)
        let asksTable = !table.isEmpty
        let state = current.withLock { $0 }
        let newPlatform = platform ?? state.platform
        if asksTable != state.asksTable || newPlatform != state.platform {
            let context = try Self.makeContext(newPlatform, table: table)
            current.withLock { $0 = Current(context: context, platform: newPlatform, asksTable: asksTable) }
        }
        return unreadable.sorted()
    }

    /// The platform's certificate now.
    package var platform: ServedCertificate { current.withLock { $0.platform } }

    /// A context serving `platform`, asking `table` per handshake only when it has something
    /// (the callback costs a promise and an event loop turn per handshake).
    private static func makeContext(_ platform: ServedCertificate, table: SNITable) throws -> NIOSSLContext {
        let (chain, key) = try platform.parsed()
        var configuration = TLSSettings.serverConfiguration(
            chain: chain, key: key, applicationProtocols: TLSSettings.routerApplicationProtocols)
        if !table.isEmpty {
            configuration.sslContextCallback = { values, promise in
                promise.succeed(table.override(forServerName: values.serverHostname))
            }
        }
        return try NIOSSLContext(configuration: configuration)
    }
}
