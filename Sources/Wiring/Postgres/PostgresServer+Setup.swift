import Foundation
import OpenrukoCore
import Isolation
import SystemPackage

// MARK: - Making the cluster (initdb, certificate, private files)

extension PostgresServer {
    /// The uid and gid the server's files belong to (nil: this process's own).
    func ownerIDs() async throws(OpenrukoError) -> (uid: UInt32, gid: UInt32)? {
        guard let serverUser else { return nil }
        let entry = try await PostgresCommand.run(["/usr/bin/getent", "passwd", serverUser])
        let fields = entry.output.split(separator: ":", omittingEmptySubsequences: false)
        guard entry.ok, fields.count >= 4, let uid = UInt32(fields[2]), let gid = UInt32(fields[3]), uid != 0 else {
            throw OpenrukoError(.unavailable, "There is no \(serverUser) system user: install postgresql (scripts/install-deps).")
        }
        if let (path, mode) = SandboxIdentity(uid: uid, gid: gid, switchesUser: true).unreachableDirectory(on: root) {
            throw OpenrukoError(
                .unavailable, "The \(serverUser) user cannot reach \(root): \(path) has mode \(String(mode, radix: 8)); "
                    + "let others search it (chmod o+x) or choose another data directory.")
        }
        return (uid, gid)
    }

    /// `DATA_DIR/services` and `services/postgresql` (searchable by the server's user, not listable).
    func makeDirectories() throws(OpenrukoError) {
        for directory in [layout.root + "/services", root] {
            do {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            } catch {
                throw OpenrukoError(.unavailable, "Cannot create \(directory): \(error.localizedDescription)")
            }
            chmod(directory, 0o711)
        }
    }

    /// Runs `initdb` (as the server's user) into an empty `data/`, and makes the server's
    /// TLS certificate (self-signed, ten years) and its private directories.
    func initialize(owner: (uid: UInt32, gid: UInt32)?) async throws(OpenrukoError) {
        try makeDirectories()
        // A data directory without PG_VERSION is debris of an initdb that was interrupted.
        try? FileManager.default.removeItem(atPath: data)
        for directory in [data, socketDirectory, root + "/log"] {
            try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            chmod(directory, 0o700)
            if let owner { lchown(directory, owner.uid, owner.gid) }
        }
        let made = try await PostgresCommand.run(
            [binary("initdb"), "-D", data, "-U", "postgres", "-E", "UTF8", "--locale=C.UTF-8", "--auth-local=peer",
             "--auth-host=scram-sha-256"], as: serverUser)
        guard made.ok else {
            throw OpenrukoError(.unavailable, "initdb failed: \(made.error.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        let certificate = try await PostgresCommand.run([
            "/usr/bin/openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "3650",
            "-subj", "/CN=openruko-postgresql", "-keyout", data + "/server.key", "-out", data + "/server.crt",
        ])
        guard certificate.ok else {
            throw OpenrukoError(.unavailable, "openssl could not make PostgreSQL's certificate: \(certificate.error)")
        }
        for file in ["server.key", "server.crt"] {
            chmod(data + "/" + file, 0o600)
            if let owner { lchown(data + "/" + file, owner.uid, owner.gid) }
        }
    }

    /// Writes `text` to `path` (0600, the server's) when it differs.
    /// - Returns: whether the file changed.
    func writePrivate(_ path: String, _ text: String, owner: (uid: UInt32, gid: UInt32)?) throws(OpenrukoError) -> Bool {
        if (try? String(contentsOfFile: path, encoding: .utf8)) == text { return false }
        do {
            try text.write(toFile: path, atomically: true, encoding: .utf8)
        } catch {
            throw OpenrukoError(.unavailable, "Cannot write \(path): \(error.localizedDescription)")
        }
        chmod(path, 0o600)
        if let owner { lchown(path, owner.uid, owner.gid) }
        return true
    }
}
