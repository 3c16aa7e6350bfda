package import Foundation

/// A TLS certificate an app's owner uploaded for its custom domains (Heroku's SNI endpoint,
/// `certs:add`). Its private key stays in the store: it is never part of this value.
package struct AppCertificate: Hashable, Sendable, Codable {
    package var id: UUID
    package var appID: UUID
    /// A Heroku-style endpoint name (`certs:remove APP NAME`).
    package var name: String
    /// The PEM chain as served: the app's certificate first, then its issuers.
    package var certificateChain: String
    /// The DNS names of the certificate (subject alternative names, else its common name).
    package var names: [String]
    /// The subject and issuer, as `CN=…,O=…`.
    package var subject: String
    package var issuer: String
    package var startsAt: Date
    package var expiresAt: Date
    /// Whether the certificate signed itself (browsers will not trust it).
    package var selfSigned: Bool
    package var createdAt: Date
    package var updatedAt: Date

    package init(
        id: UUID, appID: UUID, name: String, certificateChain: String, names: [String], subject: String, issuer: String,
        startsAt: Date, expiresAt: Date, selfSigned: Bool, createdAt: Date, updatedAt: Date
    ) {
        self.id = id
        self.appID = appID
        self.name = name
        self.certificateChain = certificateChain
        self.names = names
        self.subject = subject
        self.issuer = issuer
        self.startsAt = startsAt
        self.expiresAt = expiresAt
        self.selfSigned = selfSigned
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}
