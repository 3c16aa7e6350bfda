import Crypto
import Foundation
package import OpenrukoCore
import SwiftASN1
import X509

/// A new P-256 key and the certificate signing request for one domain, as ACME's finalize
/// wants it (DER, base64url; RFC 8555 §7.4).
package struct ACMECertificateRequest: Sendable {
    /// The new certificate's private key (PKCS #8 PEM), stored sealed once issued.
    package let keyPEM: String
    /// The CSR, base64url DER.
    package let csr: String

    /// - Throws: `internal` when the request cannot be built.
    package init(host: String) throws(OpenrukoError) {
        let key = P256.Signing.PrivateKey()
        do {
            let extensions = try Certificate.Extensions { SubjectAlternativeNames([.dnsName(host)]) }
            let attributes = CertificateSigningRequest.Attributes([
                try CertificateSigningRequest.Attribute(ExtensionRequest(extensions: extensions))
            ])
            let request = try CertificateSigningRequest(
                version: .v1, subject: try DistinguishedName { CommonName(host) }, privateKey: Certificate.PrivateKey(key),
                attributes: attributes, signatureAlgorithm: .ecdsaWithSHA256)
            var serializer = DER.Serializer()
            try serializer.serialize(request)
            csr = ACMEAccountKey.base64URL(Data(serializer.serializedBytes))
        } catch {
            throw OpenrukoError(.internal, "Cannot make the certificate request for \(host): \(error).")
        }
        keyPEM = key.pemRepresentation
    }
}
