package import Foundation
import GRDB
package import OpenrukoCore

extension PlatformStore {
    // MARK: Certificates

    /// Stores an uploaded certificate with its sealed key.
    /// - Throws: `conflict` when its name is taken.
    package func addCertificate(_ certificate: AppCertificate, sealedKey: Data) throws(OpenrukoError) {
        try write { db in
            try insert(
                CertificateRow(certificate, sealedKey: sealedKey), db,
                conflict: OpenrukoError(.conflict, "A certificate named \(certificate.name) exists already.", resource: "sni_endpoint"))
        }
    }

    /// Replaces a certificate's chain and key (Heroku's `PATCH …/sni-endpoints/{id}`), keeping its id and name.
    /// - Throws: `notFound` when the app has no such certificate.
    package func replaceCertificate(_ certificate: AppCertificate, sealedKey: Data) throws(OpenrukoError) {
        try write { db in
            guard try CertificateRow.filter(Column("id") == certificate.id.dbKey && Column("app_id") == certificate.appID.dbKey)
                .fetchCount(db) == 1
            else { throw OpenrukoError(.notFound, "Couldn't find that certificate.", resource: "sni_endpoint") }
            try CertificateRow(certificate, sealedKey: sealedKey).update(db)
        }
    }

    /// Removes a certificate of the app.
    /// - Throws: `notFound` when the app has no such certificate.
    package func removeCertificate(appID: UUID, id: UUID) throws(OpenrukoError) {
        try write { db in
            let n = try CertificateRow.filter(Column("app_id") == appID.dbKey && Column("id") == id.dbKey).deleteAll(db)
            if n == 0 { throw OpenrukoError(.notFound, "Couldn't find that certificate.", resource: "sni_endpoint") }
        }
    }

    /// The app's certificates, oldest first.
    package func certificates(appID: UUID) throws(OpenrukoError) -> [AppCertificate] {
        try read { db in
            try CertificateRow.filter(Column("app_id") == appID.dbKey).order(Column("created_at"), Column("name")).fetchAll(db)
                .map(\.certificate)
        }
    }

    /// Every certificate of every app, and every custom domain with its app's id: what the
    /// router's certificate table is made from.
    package func certificatesAndDomains() throws(OpenrukoError) -> (certificates: [AppCertificate], domains: [String: UUID]) {
        try read { db in
            let certificates = try CertificateRow.order(Column("created_at")).fetchAll(db).map(\.certificate)
            let rows = try Row.fetchAll(db, sql: "SELECT hostname, app_id FROM domains")
            var domains: [String: UUID] = [:]
            for row in rows {
                if let id = UUID(uuidString: row[1] as String) { domains[row[0] as String] = id }
            }
            return (certificates, domains)
        }
    }

    /// Changes whenever a certificate or custom domain is added, changed or removed: cheap
    /// enough to ask every second.
    package func certificatesAndDomainsVersion() throws(OpenrukoError) -> String {
        try read { db in
            let row = try Row.fetchOne(
                db,
                sql: """
                    SELECT (SELECT count(*) FROM certificates), (SELECT max(updated_at) FROM certificates),
                           (SELECT count(*) FROM domains), (SELECT max(updated_at) FROM domains)
                    """)
            return (0..<4).map { index -> String in
                let value: DatabaseValue? = row?[index]
                return value?.description ?? ""
            }.joined(separator: "|")
        }
    }

    /// The sealed private key of a certificate.
    package func sealedCertificateKey(id: UUID) throws(OpenrukoError) -> Data {
        try read { db in
            guard let row = try CertificateRow.fetchOne(db, key: id.dbKey) else {
                throw OpenrukoError(.notFound, "Couldn't find that certificate.", resource: "sni_endpoint")
            }
            return row.sealedKey
        }
    }
}
