package import Foundation
package import OpenrukoCore
import SwiftASN1
import X509

/// A certificate chain and its private key, read and checked before anything is stored:
/// what `certs:add`, `POST /apps/{app}/sni-endpoints` and `--tls-cert`/`--tls-key` accept.
///
/// ```swift
/// let bundle = try CertificateBundle(chain: pem, key: keyPEM)   // or key: nil, both in `chain`
/// bundle.names        // ["www.example.com", "*.example.com"]
/// ```
package struct CertificateBundle: Sendable {
    /// The certificate blocks as given, the app's own first.
    package var chainPEM: String
    /// The private key block as given (PKCS #8, SEC 1 or PKCS #1).
    package var keyPEM: String
    /// The DNS names of the first certificate: its subject alternative names, else its common name.
    package var names: [String]
    package var subject: String
    package var issuer: String
    package var startsAt: Date
    package var expiresAt: Date
    package var selfSigned: Bool

    /// Most input a bundle may have, and most certificates in a chain.
    static let maximumBytes = 64 * 1024
    static let maximumChainLength = 10

    /// Reads `chain` (PEM certificates, the app's own first) and `key` (a PEM private key;
    /// nil when it is inside `chain`, as `certs:add` reads both from stdin).
    /// - Throws: `OpenrukoError.invalid` saying what is wrong: no or unreadable certificate,
    ///   no, several, encrypted or unreadable key, a key that does not match, a chain out of
    ///   order, a certificate expired or not yet valid, one that names no host.
    package init(chain: String, key: String?, now: Date = Date()) throws(OpenrukoError) {
        let input = chain + "\n" + (key ?? "")
        guard input.utf8.count <= Self.maximumBytes else {
            throw Self.refusal("The certificate and key are larger than 64 kB; give only the chain and its key.")
        }
        let blocks = PEMBlock.parse(input)
        if blocks.contains(where: \.isEncryptedKey) {
            throw Self.refusal(
                "The private key is encrypted; remove its passphrase first (openssl pkey -in KEY -out PLAIN_KEY) and give that.")
        }
        let certificateBlocks = blocks.filter(\.isCertificate)
        guard !certificateBlocks.isEmpty else {
            throw Self.refusal(
                "No certificate found: give the certificate chain in PEM form (-----BEGIN CERTIFICATE-----), the app's certificate first.")
        }
        guard certificateBlocks.count <= Self.maximumChainLength else {
            throw Self.refusal("The chain has \(certificateBlocks.count) certificates; at most \(Self.maximumChainLength) are served.")
        }
        var certificates: [Certificate] = []
        for (index, block) in certificateBlocks.enumerated() {
            guard let certificate = try? Certificate(pemEncoded: block.text) else {
                throw Self.refusal("Certificate \(index + 1) of the chain is not a valid X.509 certificate.")
            }
            certificates.append(certificate)
        }
        let keyBlocks = blocks.filter(\.isPrivateKey)
        guard keyBlocks.count == 1, let keyBlock = keyBlocks.first else {
            throw Self.refusal(
                keyBlocks.isEmpty
                    ? "No private key found: give the certificate's private key in PEM form (-----BEGIN PRIVATE KEY-----)."
                    : "Give exactly one private key (found \(keyBlocks.count)).")
        }
        guard let privateKey = try? Certificate.PrivateKey(pemEncoded: keyBlock.text) else {
            throw Self.refusal("The private key cannot be read; give an RSA, ECDSA (P-256, P-384, P-521) or Ed25519 key in PEM form.")
        }
        try Self.checkKey(privateKey, certificates)
        try Self.checkOrder(certificates)
        try Self.checkValidity(certificates, now: now)
        let leaf = certificates[0]
        let names = Self.dnsNames(of: leaf)
        guard !names.isEmpty else {
            throw Self.refusal("The certificate names no host: it has no DNS subject alternative name nor common name.")
        }
        chainPEM = certificateBlocks.map(\.text).joined()
        keyPEM = keyBlock.text
        self.names = names
        subject = leaf.subject.description
        issuer = leaf.issuer.description
        startsAt = leaf.notValidBefore
        expiresAt = leaf.notValidAfter
        selfSigned = leaf.issuer == leaf.subject && leaf.publicKey.isValidSignature(leaf.signature, for: leaf)
    }

    /// Whether one of `names` covers `host`: the same name, or a wildcard `*.rest` and `host`
    /// is one label followed by `.rest` (RFC 6125 §6.4.3: the wildcard is a whole left label).
    package static func name(_ name: String, covers host: String) -> Bool {
        let name = name.lowercased()
        let host = host.lowercased()
        if name == host { return true }
        guard name.hasPrefix("*."), let dot = host.firstIndex(of: ".") else { return false }
        return host.index(after: dot) < host.endIndex && host[host.index(after: dot)...] == name.dropFirst(2)
    }

    // MARK: - Checks

    private static func checkKey(_ key: Certificate.PrivateKey, _ chain: [Certificate]) throws(OpenrukoError) {
        guard chain[0].publicKey != key.publicKey else { return }
        if let owner = chain.dropFirst().first(where: { $0.publicKey == key.publicKey }) {
            throw refusal(
                "The certificate chain is out of order: the certificate of this key (\(owner.subject)) must come first, then its issuers.")
        }
        throw refusal("The private key does not match the certificate (\(chain[0].subject)).")
    }

    private static func checkOrder(_ chain: [Certificate]) throws(OpenrukoError) {
        for index in chain.indices.dropFirst() {
            let child = chain[index - 1]
            let parent = chain[index]
            guard child.issuer == parent.subject, parent.publicKey.isValidSignature(child.signature, for: child) else {
                throw refusal(
                    "The certificate chain is out of order: certificate \(index + 1) (\(parent.subject)) did not issue certificate "
                        + "\(index) (\(child.subject)); put the app's certificate first, then each issuer in turn.")
            }
        }
    }

    private static func checkValidity(_ chain: [Certificate], now: Date) throws(OpenrukoError) {
        for (index, certificate) in chain.enumerated() {
            let which = index == 0 ? "The certificate" : "Certificate \(index + 1) of the chain"
            if certificate.notValidAfter < now {
                throw refusal("\(which) (\(certificate.subject)) expired on \(day(certificate.notValidAfter)).")
            }
            if certificate.notValidBefore > now {
                throw refusal("\(which) (\(certificate.subject)) is not valid before \(day(certificate.notValidBefore)).")
            }
        }
    }

    /// The DNS names a certificate is for: its subject alternative names, else its common name.
    static func dnsNames(of certificate: Certificate) -> [String] {
        var names: [String] = []
        if let alternatives = try? certificate.extensions.subjectAlternativeNames {
            for case .dnsName(let name) in alternatives { names.append(name.lowercased()) }
        }
        if names.isEmpty {
            for attribute in certificate.subject.flatMap({ $0 }) where attribute.type == .RDNAttributeType.commonName {
                let name = String(describing: attribute.value).lowercased()
                if name.contains("."), !name.contains(" ") { names.append(name) }
            }
        }
        return names
    }

    private static func day(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withFullDate]
        return formatter.string(from: date)
    }

    private static func refusal(_ message: String) -> OpenrukoError {
        OpenrukoError(.invalid, message, resource: "sni_endpoint")
    }
}
