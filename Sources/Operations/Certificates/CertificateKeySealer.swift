import Crypto
package import Foundation
package import OpenrukoCore

/// Seals the private keys of uploaded certificates before they reach the store (AES-GCM), with
/// a key kept apart in `DATA_DIR/tls/store.key` (0600, made on first use): a copy of the
/// database alone reveals no key.
package struct CertificateKeySealer: Sendable {
    /// `DATA_DIR/tls/store.key`.
    package let keyPath: String

    package init(layout: DataLayout) {
        keyPath = layout.root + "/tls/store.key"
    }

    /// The sealed form of `pem` (a version byte, then nonce, ciphertext and tag).
    package func seal(_ pem: String) throws(OpenrukoError) -> Data {
        let key = try loadKey(create: true)
        do {
            guard let combined = try AES.GCM.seal(Data(pem.utf8), using: key).combined else { throw CryptoKitError.incorrectParameterSize }
            return Data([1]) + combined
        } catch {
            throw OpenrukoError(.internal, "The certificate's key could not be sealed: \(error).")
        }
    }

    /// The PEM text of a sealed key.
    package func open(_ sealed: Data) throws(OpenrukoError) -> String {
        guard sealed.first == 1 else { throw OpenrukoError(.internal, "A stored certificate key has an unknown format.") }
        let key = try loadKey(create: false)
        do {
            let box = try AES.GCM.SealedBox(combined: sealed.dropFirst())
            return String(decoding: try AES.GCM.open(box, using: key), as: UTF8.self)
        } catch {
            throw OpenrukoError(.internal, "A stored certificate key cannot be opened with \(keyPath): \(error).")
        }
    }

    private func loadKey(create: Bool) throws(OpenrukoError) -> SymmetricKey {
        if let data = FileManager.default.contents(atPath: keyPath), data.count == 32 { return SymmetricKey(data: data) }
        guard create else { throw OpenrukoError(.internal, "The certificate key store \(keyPath) is missing.") }
        let directory = (keyPath as NSString).deletingLastPathComponent
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        // Written whole to a file of this process, then linked into place: a reader never
        // sees half a key, and when two processes race the first link wins for both.
        var random = SystemRandomNumberGenerator()
        let bytes = Data((0..<32).map { _ in UInt8.random(in: 0...255, using: &random) })
        let key = SymmetricKey(data: bytes)
        let temporary = keyPath + ".\(getpid()).tmp"
        guard FileManager.default.createFile(atPath: temporary, contents: bytes, attributes: [.posixPermissions: 0o600]) else {
            throw OpenrukoError(.internal, "Cannot write \(temporary).")
        }
        defer { unlink(temporary) }
        if link(temporary, keyPath) != 0 {
            if errno == EEXIST, let data = FileManager.default.contents(atPath: keyPath), data.count == 32 { return SymmetricKey(data: data) }
            throw OpenrukoError(.internal, "Cannot create \(keyPath): \(String(cString: strerror(errno))).")
        }
        return key
    }
}
