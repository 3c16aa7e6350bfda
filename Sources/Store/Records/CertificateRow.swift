import Foundation
import GRDB
import OpenrukoCore

/// A row of `certificates` (Migration0005Certificates). `names` is a JSON array; the key
/// arrives and leaves sealed.
struct CertificateRow: TableRow {
    static let databaseTableName = "certificates"
    var id: UUID
    var appId: UUID
    var name: String
    var certificateChain: String
    var sealedKey: Data
    var names: String
    var subject: String
    var issuer: String
    var startsAt: Date
    var expiresAt: Date
    var selfSigned: Bool
    var createdAt: Date
    var updatedAt: Date

    init(_ certificate: AppCertificate, sealedKey: Data) {
        id = certificate.id
        appId = certificate.appID
        name = certificate.name
        certificateChain = certificate.certificateChain
        self.sealedKey = sealedKey
        names = String(decoding: (try? JSONEncoder().encode(certificate.names)) ?? Data("[]".utf8), as: UTF8.self)
        subject = certificate.subject
        issuer = certificate.issuer
        startsAt = certificate.startsAt
        expiresAt = certificate.expiresAt
        selfSigned = certificate.selfSigned
        createdAt = certificate.createdAt
        updatedAt = certificate.updatedAt
    }

    var certificate: AppCertificate {
        AppCertificate(
            id: id, appID: appId, name: name, certificateChain: certificateChain,
            names: (try? JSONDecoder().decode([String].self, from: Data(names.utf8))) ?? [], subject: subject, issuer: issuer,
            startsAt: startsAt, expiresAt: expiresAt, selfSigned: selfSigned, createdAt: createdAt, updatedAt: updatedAt)
    }
}
