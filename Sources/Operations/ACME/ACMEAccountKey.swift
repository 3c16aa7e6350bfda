package import Crypto
package import Foundation
package import OpenrukoCore

/// The ACME account key (P-256), made once and kept in `DATA_DIR/tls/acme-account.pem`
/// (0600), and the JSON Web Signatures (RFC 7515, flattened, ES256) every ACME request is.
///
/// ```swift
/// let key = try ACMEAccountKey.loadOrCreate(layout: layout)
/// let body = try key.sign(payload: #"{"termsOfServiceAgreed":true}"#, url: newAccount, nonce: nonce, accountURL: nil)
/// key.keyAuthorization(token)   // what the challenge path answers
/// ```
package struct ACMEAccountKey: Sendable {
    /// The key's raw scalar (the key type itself is not `Sendable`).
    private let raw: Data
    private var key: P256.Signing.PrivateKey {
        try! P256.Signing.PrivateKey(rawRepresentation: raw)  // made from a valid key in `init`
    }

    package init(_ key: P256.Signing.PrivateKey) {
        raw = key.rawRepresentation
    }

    /// Reads `DATA_DIR/tls/acme-account.pem`, or makes it (0600) when there is none.
    package static func loadOrCreate(layout: DataLayout) throws(OpenrukoError) -> ACMEAccountKey {
        let directory = layout.root + "/tls"
        let path = directory + "/acme-account.pem"
        if let data = FileManager.default.contents(atPath: path) {
            guard let key = try? P256.Signing.PrivateKey(pemRepresentation: String(decoding: data, as: UTF8.self)) else {
                throw OpenrukoError(.internal, "The ACME account key \(path) cannot be read; remove it to make a new account.")
            }
            return ACMEAccountKey(key)
        }
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let key = P256.Signing.PrivateKey()
        let temporary = path + ".\(ProcessInfo.processInfo.processIdentifier).tmp"
        guard FileManager.default.createFile(atPath: temporary, contents: Data(key.pemRepresentation.utf8), attributes: [.posixPermissions: 0o600])
        else { throw OpenrukoError(.internal, "Cannot write \(temporary).") }
        defer { try? FileManager.default.removeItem(atPath: temporary) }
        do {
            try FileManager.default.linkItem(atPath: temporary, toPath: path)
        } catch {
            // Another process made it first: use that one.
            if let data = FileManager.default.contents(atPath: path),
                let existing = try? P256.Signing.PrivateKey(pemRepresentation: String(decoding: data, as: UTF8.self))
            {
                return ACMEAccountKey(existing)
            }
            throw OpenrukoError(.internal, "Cannot create \(path): \(error).")
        }
        return ACMEAccountKey(key)
    }

    /// The public key as a JWK with its members in the order RFC 7638 hashes them.
    package var jwk: String {
        let point = key.publicKey.x963Representation  // 0x04 ‖ X ‖ Y
        let x = Self.base64URL(point.dropFirst().prefix(32))
        let y = Self.base64URL(point.dropFirst(33))
        return #"{"crv":"P-256","kty":"EC","x":"\#(x)","y":"\#(y)"}"#
    }

    /// The RFC 7638 thumbprint of the account key.
    package var thumbprint: String { Self.base64URL(Data(SHA256.hash(data: Data(jwk.utf8)))) }

    /// What `/.well-known/acme-challenge/TOKEN` answers (RFC 8555 §8.1).
    package func keyAuthorization(_ token: String) -> String { token + "." + thumbprint }

    /// A flattened JWS of `payload` (JSON text; "" for POST-as-GET) for `url`: with the JWK
    /// before there is an account, with its URL (`kid`) after.
    package func sign(payload: String, url: String, nonce: String, accountURL: String?) throws(OpenrukoError) -> Data {
        let identity = accountURL.map { #""kid":\#(Self.jsonString($0))"# } ?? #""jwk":\#(jwk)"#
        let protected = #"{"alg":"ES256",\#(identity),"nonce":\#(Self.jsonString(nonce)),"url":\#(Self.jsonString(url))}"#
        let protected64 = Self.base64URL(Data(protected.utf8))
        let payload64 = Self.base64URL(Data(payload.utf8))
        let signature: P256.Signing.ECDSASignature
        do {
            signature = try key.signature(for: Data((protected64 + "." + payload64).utf8))
        } catch {
            throw OpenrukoError(.internal, "Cannot sign the ACME request: \(error).")
        }
        let body = #"{"protected":"\#(protected64)","payload":"\#(payload64)","signature":"\#(Self.base64URL(signature.rawRepresentation))"}"#
        return Data(body.utf8)
    }

    /// Base64url without padding (RFC 7515 §2).
    package static func base64URL(_ data: some DataProtocol) -> String {
        Data(data).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// `value` as a JSON string literal.
    static func jsonString(_ value: String) -> String {
        let data = (try? JSONEncoder().encode(value)) ?? Data("\"\"".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}
