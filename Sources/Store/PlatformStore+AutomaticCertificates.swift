package import Foundation
import GRDB
package import OpenrukoCore

extension PlatformStore {
    // MARK: Automatic certificates (ACM)

    /// Whether the app has automatic certificates on.
    package func automaticCertificatesEnabled(appID: UUID) throws(OpenrukoError) -> Bool {
        try read { db in
            try Row.fetchOne(db, sql: "SELECT 1 FROM acm_apps WHERE app_id = ?", arguments: [appID.dbKey]) != nil
        }
    }

    /// Turns automatic certificates on (idempotent); domains that failed are tried again now.
    package func enableAutomaticCertificates(appID: UUID, now: Date = Date()) throws(OpenrukoError) {
        try write { db in
            try db.execute(
                sql: "INSERT OR IGNORE INTO acm_apps (app_id, enabled_at) VALUES (?, ?)", arguments: [appID.dbKey, now])
            try db.execute(
                sql: "UPDATE acm_domains SET next_attempt_at = ? WHERE app_id = ? AND status = 'failed'", arguments: [now, appID.dbKey])
        }
    }

    /// Turns automatic certificates off: forgets the domains' state and removes the
    /// certificates ACME issued (uploaded ones stay).
    package func disableAutomaticCertificates(appID: UUID) throws(OpenrukoError) {
        try write { db in
            let ids = try String.fetchAll(
                db, sql: "SELECT certificate_id FROM acm_domains WHERE app_id = ? AND certificate_id IS NOT NULL",
                arguments: [appID.dbKey])
            for id in ids { try db.execute(sql: "DELETE FROM certificates WHERE id = ?", arguments: [id]) }
            try db.execute(sql: "DELETE FROM acm_domains WHERE app_id = ?", arguments: [appID.dbKey])
            try db.execute(sql: "DELETE FROM acm_apps WHERE app_id = ?", arguments: [appID.dbKey])
        }
    }

    /// The state of each custom domain of the app that has one, by hostname.
    package func automaticCertificates(appID: UUID) throws(OpenrukoError) -> [AutomaticCertificate] {
        try read { db in
            try AutomaticCertificateRow.filter(Column("app_id") == appID.dbKey).order(Column("hostname")).fetchAll(db).map(\.value)
        }
    }

    /// What the ACME service works from: every custom domain of every app with automatic
    /// certificates on, with its state (a new `pending` one when it has none yet). States of
    /// domains that were removed, or moved to another app, are dropped with their certificates.
    /// A read, asked every few seconds; it writes only when something is to be dropped.
    package func automaticCertificateWork(now: Date = Date()) throws(OpenrukoError) -> [AutomaticCertificate] {
        let (wanted, rows) = try read { db in
            let domains = try Row.fetchAll(
                db, sql: "SELECT d.hostname, d.app_id FROM domains d JOIN acm_apps a ON a.app_id = d.app_id ORDER BY d.hostname")
            var wanted: [String: UUID] = [:]
            for row in domains {
                if let id = UUID(uuidString: row[1] as String) { wanted[row[0] as String] = id }
            }
            return (wanted, try AutomaticCertificateRow.fetchAll(db))
        }
        let stale = rows.filter { wanted[$0.hostname] != $0.appId }
        if !stale.isEmpty {
            try write { db in
                for row in stale where !(try Self.stillWanted(row.value, db)) {
                    if let id = row.certificateId { try db.execute(sql: "DELETE FROM certificates WHERE id = ?", arguments: [id.dbKey]) }
                    try db.execute(sql: "DELETE FROM acm_domains WHERE hostname = ? AND app_id = ?", arguments: [row.hostname, row.appId.dbKey])
                }
            }
        }
        let states = Dictionary(rows.filter { wanted[$0.hostname] == $0.appId }.map { ($0.hostname, $0.value) }, uniquingKeysWith: { a, _ in a })
        return wanted.keys.sorted().map { host in
            states[host] ?? AutomaticCertificate(hostname: host, appID: wanted[host]!, updatedAt: now)
        }
    }

    /// Records a domain's state (a failure, a pending order), if its app still wants it.
    package func saveAutomaticCertificate(_ state: AutomaticCertificate) throws(OpenrukoError) {
        try write { db in
            guard try Self.stillWanted(state, db) else { return }
            try AutomaticCertificateRow(state).save(db)
        }
    }

    /// Stores an issued certificate and the domain's new state in one transaction, replacing
    /// the domain's previous automatic certificate. Nothing is stored (false) when the app
    /// turned automatic certificates off or lost the domain meanwhile.
    package func storeAutomaticCertificate(
        _ state: AutomaticCertificate, certificate: AppCertificate, sealedKey: Data
    ) throws(OpenrukoError) -> Bool {
        try write { db in
            guard try Self.stillWanted(state, db) else { return false }
            if let old = try AutomaticCertificateRow.fetchOne(db, key: state.hostname), let id = old.certificateId {
                try db.execute(sql: "DELETE FROM certificates WHERE id = ?", arguments: [id.dbKey])
            }
            try CertificateRow(certificate, sealedKey: sealedKey).insert(db)
            var state = state
            state.certificateID = certificate.id
            try AutomaticCertificateRow(state).save(db)
            return true
        }
    }

    private static func stillWanted(_ state: AutomaticCertificate, _ db: Database) throws -> Bool {
        try Row.fetchOne(
            db,
            sql: "SELECT 1 FROM domains d JOIN acm_apps a ON a.app_id = d.app_id WHERE d.hostname = ? AND d.app_id = ?",
            arguments: [state.hostname, state.appID.dbKey]) != nil
    }
}
