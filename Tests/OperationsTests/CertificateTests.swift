import Crypto
import Foundation
import OpenrukoCore
import Operations
import Store
import SwiftASN1
import TestSupport
import Testing
import X509

/// Uploaded certificates: every refusal of `CertificateBundle` (with its message), the
/// choice of certificate per domain, storage with the key sealed, and the local authority.
@Suite(.timeLimit(.minutes(15))) struct CertificateTests {
    /// A test authority and the certificates it signs.
    struct Issuer {
        let key = P256.Signing.PrivateKey()
        let name: DistinguishedName
        let certificate: Certificate

        init(_ commonName: String = "Test Root") throws {
            name = try DistinguishedName { CommonName(commonName) }
            let key = Certificate.PrivateKey(self.key)
            certificate = try Certificate(
                version: .v3, serialNumber: .init(), publicKey: key.publicKey, notValidBefore: Date().addingTimeInterval(-86_400),
                notValidAfter: Date().addingTimeInterval(86_400 * 30), issuer: name, subject: name, signatureAlgorithm: .ecdsaWithSHA256,
                extensions: try Certificate.Extensions {
                    Critical(BasicConstraints.isCertificateAuthority(maxPathLength: nil))
                    Critical(KeyUsage(keyCertSign: true))
                }, issuerPrivateKey: key)
        }

        var pem: String { try! certificate.serializeAsPEM().pemString + "\n" }

        /// A server certificate for `names` and its PEM key.
        func leaf(_ names: [String], from start: TimeInterval = -3600, to end: TimeInterval = 86_400 * 10) throws -> (String, String) {
            let leafKey = P256.Signing.PrivateKey()
            let subject = try DistinguishedName {
                OrganizationName("Shop")
                CommonName(names.first ?? "none")
            }
            let leaf = try Certificate(
                version: .v3, serialNumber: .init(), publicKey: Certificate.PrivateKey(leafKey).publicKey,
                notValidBefore: Date().addingTimeInterval(start), notValidAfter: Date().addingTimeInterval(end), issuer: name,
                subject: subject, signatureAlgorithm: .ecdsaWithSHA256,
                extensions: try Certificate.Extensions { SubjectAlternativeNames(names.map { .dnsName($0) }) },
                issuerPrivateKey: Certificate.PrivateKey(key))
            return (try leaf.serializeAsPEM().pemString + "\n", leafKey.pemRepresentation + "\n")
        }
    }

    func refusal(_ chain: String, _ key: String?) -> String? {
        do {
            _ = try CertificateBundle(chain: chain, key: key)
            return nil
        } catch {
            return error.message
        }
    }

    @Test func aGoodChainIsReadWithItsNames() throws {
        let root = try Issuer()
        let (leaf, key) = try root.leaf(["www.shop.test", "*.shop.test"])
        let bundle = try CertificateBundle(chain: "Bag Attributes: x\n" + leaf + root.pem, key: key)
        #expect(bundle.names == ["www.shop.test", "*.shop.test"])
        #expect(bundle.subject == "CN=www.shop.test,O=Shop")
        #expect(bundle.issuer == "CN=Test Root")
        #expect(!bundle.selfSigned)
        #expect(bundle.chainPEM == leaf + root.pem)
        // Chain and key may come as one text (certs:add reads both from stdin).
        #expect(try CertificateBundle(chain: leaf + root.pem + key, key: nil).names.count == 2)
    }

    @Test func badInputIsRefusedWithItsReason() throws {
        let root = try Issuer()
        let (leaf, key) = try root.leaf(["www.shop.test"])
        let (_, otherKey) = try root.leaf(["www.shop.test"])
        #expect(refusal(leaf, otherKey) == "The private key does not match the certificate (CN=www.shop.test,O=Shop).")
        #expect(refusal("hello", key)?.hasPrefix("No certificate found") == true)
        let broken = "-----BEGIN CERTIFICATE-----\nTm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n"
        #expect(refusal(broken, key) == "Certificate 1 of the chain is not a valid X.509 certificate.")
        #expect(refusal(leaf, nil)?.hasPrefix("No private key found") == true)
        #expect(refusal(leaf, key + otherKey) == "Give exactly one private key (found 2).")
        let encrypted = "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n"
        #expect(refusal(leaf, encrypted)?.hasPrefix("The private key is encrypted") == true)
        let legacy = "-----BEGIN EC PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\nAAAA\n-----END EC PRIVATE KEY-----\n"
        #expect(refusal(leaf, legacy)?.hasPrefix("The private key is encrypted") == true)
        #expect(refusal(root.pem + leaf, key)?.hasPrefix("The certificate chain is out of order: the certificate of this key") == true)
        let stranger = try Issuer("Other Root")
        #expect(
            refusal(leaf + stranger.pem, key)
                == "The certificate chain is out of order: certificate 2 (CN=Other Root) did not issue certificate 1 "
                + "(CN=www.shop.test,O=Shop); put the app's certificate first, then each issuer in turn.")
        let (expired, expiredKey) = try root.leaf(["www.shop.test"], from: -86_400 * 10, to: -86_400 * 2)
        #expect(refusal(expired, expiredKey)?.hasPrefix("The certificate (CN=www.shop.test,O=Shop) expired on ") == true)
        let (early, earlyKey) = try root.leaf(["www.shop.test"], from: 86_400 * 2, to: 86_400 * 10)
        #expect(refusal(early, earlyKey)?.hasPrefix("The certificate (CN=www.shop.test,O=Shop) is not valid before ") == true)
        #expect(refusal(String(repeating: "x", count: 70_000), key)?.contains("64 kB") == true)
    }

    @Test func wildcardsCoverOneLabel() {
        #expect(CertificateBundle.name("*.shop.test", covers: "www.shop.test"))
        #expect(CertificateBundle.name("WWW.shop.test", covers: "www.SHOP.test"))
        #expect(!CertificateBundle.name("*.shop.test", covers: "shop.test"))
        #expect(!CertificateBundle.name("*.shop.test", covers: "a.b.shop.test"))
        #expect(!CertificateBundle.name("*.shop.test", covers: "wwwshop.test"))
    }

    @Test func eachDomainGetsACertificateOfItsOwnAppExactBeforeWildcard() {
        let shop = UUID()
        let other = UUID()
        func certificate(_ app: UUID, _ names: [String], days: Double = 30) -> AppCertificate {
            AppCertificate(
                id: UUID(), appID: app, name: names[0], certificateChain: "", names: names, subject: "", issuer: "",
                startsAt: Date(), expiresAt: Date().addingTimeInterval(days * 86_400), selfSigned: false, createdAt: Date(),
                updatedAt: Date())
        }
        let wildcard = certificate(shop, ["*.shop.test"], days: 90)
        let exact = certificate(shop, ["www.shop.test"])
        let hijack = certificate(other, ["api.shop.test"])
        let expired = certificate(shop, ["old.shop.test"], days: -1)
        let assigned = SNIAssignment.assign(
            domains: ["www.shop.test": shop, "api.shop.test": shop, "old.shop.test": shop, "blog.other.test": other],
            certificates: [wildcard, exact, hijack, expired])
        #expect(assigned["www.shop.test"]?.id == exact.id)
        #expect(assigned["api.shop.test"]?.id == wildcard.id, "another app's certificate never serves a domain")
        #expect(assigned["old.shop.test"]?.id == wildcard.id, "an expired certificate is skipped")
        #expect(assigned["blog.other.test"] == nil)
    }

    @Test func certificatesAreStoredWithTheirKeySealedAndNeedACoveredDomain() throws {
        let installation = try TestInstallation()
        let platform = installation.platform
        let (_, owner) = try installation.seedUsers()
        _ = try platform.createApp(name: "shop", owner: nil, as: .user(owner))
        let root = try Issuer()
        let (leaf, key) = try root.leaf(["www.shop.test"])
        #expect(throws: OpenrukoError.self) { try platform.addCertificate("shop", chain: leaf, key: key, as: .user(owner)) }
        _ = try platform.addDomain("shop", hostname: "blog.shop.test", as: .user(owner))
        do {
            _ = try platform.addCertificate("shop", chain: leaf, key: key, as: .user(owner))
            Issue.record("a certificate for none of the app's domains was stored")
        } catch {
            #expect(error.message == "The certificate's names (www.shop.test) cover none of shop's domains (blog.shop.test).")
        }
        _ = try platform.addDomain("shop", hostname: "www.shop.test", as: .user(owner))
        let added = try platform.addCertificate("shop", chain: leaf + root.pem, key: key, as: .user(owner))
        #expect(try platform.certificates("shop", as: .user(owner)).1.map(\.id) == [added.id])
        #expect(try platform.sniAssignment()["www.shop.test"]?.id == added.id)
        #expect(try platform.privateKey(of: added) == key)

        // The database holds no readable key, the sealing key is private.
        let database = try Data(contentsOf: URL(fileURLWithPath: installation.layout.database + "-wal"))
            + Data(contentsOf: URL(fileURLWithPath: installation.layout.database))
        #expect(database.range(of: Data("PRIVATE KEY".utf8)) == nil)
        let attributes = try FileManager.default.attributesOfItem(atPath: installation.layout.root + "/tls/store.key")
        #expect((attributes[.posixPermissions] as? Int) == 0o600)

        let removed = try platform.removeCertificate("shop", named: added.name, as: .user(owner))
        #expect(removed.id == added.id)
        #expect(try platform.sniAssignment().isEmpty)
    }

    @Test func theLocalAuthorityIssuesForItsDomainOnly() throws {
        let authority = try LocalCertificateAuthority.create(domain: "localhost")
        #expect(authority.domain == "localhost")
        let again = try LocalCertificateAuthority(certificatePEM: authority.certificatePEM, keyPEM: authority.keyPEM)
        let issued = try again.issue(hosts: ["web1.localhost"])
        let chain = PEMBlock.parse(issued.chain).filter(\.isCertificate)
        #expect(chain.count == 2)
        let leaf = try Certificate(pemEncoded: chain[0].text)
        #expect(try leaf.extensions.subjectAlternativeNames.map(Array.init) == [.dnsName("web1.localhost")])
        #expect(try Certificate(pemEncoded: authority.certificatePEM).extensions.nameConstraints?.permittedSubtrees == [.dnsName("localhost")])
    }
}
