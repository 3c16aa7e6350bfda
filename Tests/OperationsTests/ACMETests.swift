import Crypto
import Foundation
import OpenrukoCore
import Operations
import SwiftASN1
import TestSupport
import Testing
import X509

/// Automatic certificates without a CA: the order state machine through every path, the
/// renewal and retry schedule, the JWS and key authorization, the CSR, the names ACME is
/// asked for, and the store (issued certificates served by SNI, removed with `disable`).
@Suite(.timeLimit(.minutes(5))) struct ACMETests {
    let order = "https://ca.test/order/1"
    let authz = "https://ca.test/authz/1"

    func pendingOrder(_ authorizations: [String]? = nil) -> ACMEOrder {
        ACMEOrder(status: "pending", authorizations: authorizations ?? [authz], finalize: "https://ca.test/finalize/1")
    }

    func authorization(_ status: String, error: ACMEProblem? = nil) -> ACMEAuthorization {
        ACMEAuthorization(
            status: status,
            challenges: [
                .init(type: "dns-01", url: "https://ca.test/chall/dns", token: "dnsToken"),
                .init(type: "http-01", url: "https://ca.test/chall/http", token: "tok_en-1", error: error),
            ])
    }

    @Test func anOrderGoesFromPendingThroughReadyAndProcessingToValid() {
        var machine = ACMEOrderMachine()
        #expect(machine.start() == .createOrder)
        #expect(machine.handle(.order(pendingOrder(), url: order)) == .fetchAuthorization(url: authz))
        #expect(
            machine.handle(.authorization(authorization("pending"), url: authz))
                == .respond(challengeURL: "https://ca.test/chall/http", token: "tok_en-1"))
        #expect(machine.handle(.challengeAccepted) == .pollAuthorization(url: authz, after: .milliseconds(500)))
        #expect(machine.handle(.authorization(authorization("pending"), url: authz)) == .pollAuthorization(url: authz, after: .milliseconds(750)))
        #expect(machine.handle(.authorization(authorization("valid"), url: authz)) == .pollOrder(url: order, after: .zero))
        var ready = pendingOrder()
        ready.status = "ready"
        #expect(machine.handle(.order(ready, url: nil)) == .finalize(url: "https://ca.test/finalize/1"))
        var processing = ready
        processing.status = "processing"
        guard case .pollOrder(order, _) = machine.handle(.order(processing, url: nil)) else { Issue.record("no poll while processing"); return }
        var valid = ready
        valid.status = "valid"
        valid.certificate = "https://ca.test/cert/1"
        #expect(machine.handle(.order(valid, url: nil)) == .download(url: "https://ca.test/cert/1"))
        #expect(
            machine.handle(.certificate("-----BEGIN CERTIFICATE-----\nMII=\n-----END CERTIFICATE-----\n"))
                == .finished(chainPEM: "-----BEGIN CERTIFICATE-----\nMII=\n-----END CERTIFICATE-----\n"))
        #expect(machine.isDone)
        guard case .failed = machine.handle(.challengeAccepted) else { Issue.record("a finished order went on"); return }
    }

    @Test func aReusedValidAuthorizationGoesStraightToFinalize() {
        var machine = ACMEOrderMachine()
        _ = machine.start()
        var ready = pendingOrder()
        ready.status = "ready"
        #expect(machine.handle(.order(ready, url: order)) == .finalize(url: "https://ca.test/finalize/1"))
        // A second "ready" (the server is slow to move to processing) polls instead of finalizing twice.
        guard case .pollOrder = machine.handle(.order(ready, url: nil)) else { Issue.record("finalized twice"); return }
    }

    @Test func failuresCarryTheServersReason() {
        var machine = ACMEOrderMachine()
        _ = machine.start()
        _ = machine.handle(.order(pendingOrder(), url: order))
        _ = machine.handle(.authorization(authorization("pending"), url: authz))
        _ = machine.handle(.challengeAccepted)
        let problem = ACMEProblem(type: "urn:ietf:params:acme:error:connection", detail: "Connection refused\u{1B}[31m")
        #expect(
            machine.handle(.authorization(authorization("invalid", error: problem), url: authz))
                == .failed(reason: "Validation failed: Connection refused [31m"))

        var invalid = ACMEOrderMachine()
        _ = invalid.start()
        #expect(
            invalid.handle(.order(ACMEOrder(status: "invalid", authorizations: [], finalize: "x", error: nil), url: order))
                == .failed(reason: "The ACME server marked the order invalid."))

        var noURL = ACMEOrderMachine()
        _ = noURL.start()
        #expect(noURL.handle(.order(pendingOrder(), url: nil)) == .failed(reason: "The ACME server gave the order no URL."))

        var noHTTP = ACMEOrderMachine()
        _ = noHTTP.start()
        _ = noHTTP.handle(.order(pendingOrder(), url: order))
        let dnsOnly = ACMEAuthorization(status: "pending", challenges: [.init(type: "dns-01", url: "https://ca.test/c", token: "t")])
        #expect(noHTTP.handle(.authorization(dnsOnly, url: authz)) == .failed(reason: "The ACME server offers no http-01 challenge for this domain."))

        var badToken = ACMEOrderMachine()
        _ = badToken.start()
        _ = badToken.handle(.order(pendingOrder(), url: order))
        let hostile = ACMEAuthorization(status: "pending", challenges: [.init(type: "http-01", url: "https://ca.test/c", token: "../../etc/passwd")])
        #expect(badToken.handle(.authorization(hostile, url: authz)) == .failed(reason: "The ACME server sent a malformed challenge token."))

        var notPEM = ACMEOrderMachine()
        _ = notPEM.start()
        #expect(notPEM.handle(.certificate("<html>")) == .failed(reason: "The ACME server sent no PEM certificate chain."))
    }

    @Test func pollingBacksOffAndGivesUp() {
        #expect(ACMEOrderMachine.delay(poll: 1) == .milliseconds(500))
        #expect(ACMEOrderMachine.delay(poll: 100) == .seconds(5))
        var machine = ACMEOrderMachine()
        _ = machine.start()
        var processing = pendingOrder()
        processing.status = "processing"
        var last = machine.handle(.order(processing, url: order))
        var polls = 0
        while case .pollOrder = last {
            polls += 1
            last = machine.handle(.order(processing, url: nil))
        }
        #expect(polls == ACMEOrderMachine.maximumPolls)
        #expect(last == .failed(reason: "The ACME server did not finish the order in time."))
    }

    @Test func domainsAreOrderedWhenNewRetriedWithBackoffAndRenewedBeforeExpiry() {
        let schedule = AutomaticCertificateSchedule()
        let now = Date()
        let new = AutomaticCertificate(hostname: "www.shop.test", appID: UUID())
        #expect(schedule.isDue(new, now: now))
        let failed = schedule.failed(new, reason: "nope", now: now)
        #expect(failed.status == .failed && failed.reason == "nope" && failed.failures == 1)
        #expect(!schedule.isDue(failed, now: now.addingTimeInterval(59)))
        #expect(schedule.isDue(failed, now: now.addingTimeInterval(60)))
        #expect(schedule.retryDelay(failures: 2) == 120)
        #expect(schedule.retryDelay(failures: 50) == 6 * 3600)
        let issued = schedule.issued(failed, certificateID: UUID(), expiresAt: now.addingTimeInterval(90 * 86_400), now: now)
        #expect(issued.status == .issued && issued.reason == nil && issued.failures == 0)
        #expect(!schedule.isDue(issued, now: now.addingTimeInterval(59 * 86_400)))
        #expect(schedule.isDue(issued, now: now.addingTimeInterval(60 * 86_400)))
        let renewalFailed = schedule.failed(issued, reason: "CA down", now: now)
        #expect(renewalFailed.certificateID == issued.certificateID, "the issued certificate stays served")
    }

    @Test func requestsAreSignedWithTheAccountKeyAndTheKeyAuthorizationUsesItsThumbprint() throws {
        let privateKey = P256.Signing.PrivateKey()
        let key = ACMEAccountKey(privateKey)
        let body = try key.sign(payload: #"{"a":1}"#, url: "https://ca.test/new-order", nonce: "n0nce", accountURL: "https://ca.test/acct/7")
        let object = try #require(try JSONSerialization.jsonObject(with: body) as? [String: String])
        let protected = try #require(Self.decode(object["protected"] ?? ""))
        let header = try #require(try JSONSerialization.jsonObject(with: protected) as? [String: String])
        #expect(header == ["alg": "ES256", "kid": "https://ca.test/acct/7", "nonce": "n0nce", "url": "https://ca.test/new-order"])
        #expect(Self.decode(object["payload"] ?? "") == Data(#"{"a":1}"#.utf8))
        let signature = try P256.Signing.ECDSASignature(rawRepresentation: try #require(Self.decode(object["signature"] ?? "")))
        let signed = Data(((object["protected"] ?? "") + "." + (object["payload"] ?? "")).utf8)
        #expect(privateKey.publicKey.isValidSignature(signature, for: signed))

        let first = try key.sign(payload: "", url: "https://ca.test/new-acct", nonce: "n", accountURL: nil)
        let firstHeader = try #require(Self.decode((try JSONSerialization.jsonObject(with: first) as? [String: String])?["protected"] ?? ""))
        #expect(String(decoding: firstHeader, as: UTF8.self).contains(#""jwk":{"crv":"P-256","kty":"EC","x":""#))
        let expected = ACMEAccountKey.base64URL(Data(SHA256.hash(data: Data(key.jwk.utf8))))
        #expect(key.keyAuthorization("tok") == "tok." + expected)
        #expect(!key.thumbprint.contains("=") && key.thumbprint.count == 43)
    }

    @Test func theAccountKeyIsMadeOncePrivately() throws {
        let installation = try TestInstallation()
        let first = try installation.platform.acmeAccountKey()
        let second = try installation.platform.acmeAccountKey()
        #expect(first.jwk == second.jwk)
        let attributes = try FileManager.default.attributesOfItem(atPath: installation.layout.root + "/tls/acme-account.pem")
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
    }

    @Test func theCertificateRequestNamesTheDomainWithANewP256Key() throws {
        let request = try ACMECertificateRequest(host: "www.shop.test")
        let der = try #require(Self.decode(request.csr))
        let csr = try CertificateSigningRequest(derEncoded: Array(der))
        let extensions = try #require(try csr.attributes.extensionRequest).extensions
        let names = try #require(try extensions.subjectAlternativeNames)
        #expect(Array(names) == [.dnsName("www.shop.test")])
        #expect(csr.publicKey == (try Certificate.PrivateKey(pemEncoded: request.keyPEM)).publicKey)
    }

    @Test func onlyPlainDNSNamesAreOrdered() {
        for good in ["www.shop.test", "a.b", "x-1.example.com"] { #expect(ACMEText.isIssuableHost(good), "\(good)") }
        let hostile = [
            "localhost", "*.shop.test", "127.0.0.1", "shop..test", "-a.test", "a-.test", "a b.test", "a\n.test", "WWW.shop.test",
            String(repeating: "a", count: 64) + ".test", String(repeating: "a.", count: 130) + "test", "a.test/../x", "é.test",
        ]
        for bad in hostile { #expect(!ACMEText.isIssuableHost(bad), "\(bad.debugDescription)") }
        #expect(ACMEText.isToken("abc-_09XYZ") && !ACMEText.isToken("a/b") && !ACMEText.isToken(String(repeating: "a", count: 129)))
        #expect(ACMEText.clean(String(repeating: "x", count: 10_000)).count == 501)
    }

    @Test func issuedCertificatesAreServedAndDisableRemovesThem() throws {
        let installation = try TestInstallation()
        let platform = installation.platform
        let (_, owner) = try installation.seedUsers()
        let app = try platform.createApp(name: "shop", owner: nil, as: .user(owner))
        _ = try platform.addDomain("shop", hostname: "www.shop.test", as: .user(owner))
        #expect(try platform.automaticCertificateWork().isEmpty, "nothing is ordered before certs:auto:enable")
        _ = try platform.enableAutomaticCertificates("shop", as: .user(owner))
        let work = try platform.automaticCertificateWork()
        #expect(work.map(\.hostname) == ["www.shop.test"] && work[0].status == .pending && work[0].appID == app.id)

        let root = try CertificateTests.Issuer()
        let (wrong, wrongKey) = try root.leaf(["blog.shop.test"])
        #expect(throws: OpenrukoError.self) {
            try platform.storeAutomaticCertificate(work[0], chain: wrong, keyPEM: wrongKey, schedule: AutomaticCertificateSchedule())
        }
        #expect(try platform.sniAssignment().isEmpty, "a certificate for another name is not stored")

        let (leaf, key) = try root.leaf(["www.shop.test"])
        let stored = try #require(
            try platform.storeAutomaticCertificate(work[0], chain: leaf + root.pem, keyPEM: key, schedule: AutomaticCertificateSchedule()))
        #expect(try platform.sniAssignment()["www.shop.test"]?.id == stored.id)
        let (_, enabled, states) = try platform.automaticCertificates("shop", as: .user(owner))
        #expect(enabled && states.map(\.status) == [.issued] && states[0].certificateID == stored.id)

        // A renewal replaces the certificate.
        let (renewed, renewedKey) = try root.leaf(["www.shop.test"])
        let second = try #require(
            try platform.storeAutomaticCertificate(states[0], chain: renewed, keyPEM: renewedKey, schedule: AutomaticCertificateSchedule()))
        #expect(try platform.certificates("shop", as: .user(owner)).1.map(\.id) == [second.id])

        // Another tenant can neither see nor switch off this app's automatic certificates.
        let other = try platform.createUser(email: "eve@example.com", admin: false, as: .superuser)
        #expect(throws: OpenrukoError.self) { try platform.automaticCertificates("shop", as: .user(other)) }
        #expect(throws: OpenrukoError.self) { try platform.disableAutomaticCertificates("shop", as: .user(other)) }

        _ = try platform.disableAutomaticCertificates("shop", as: .user(owner))
        #expect(try platform.sniAssignment().isEmpty && platform.automaticCertificatesEnabled(app) == false)
        #expect(try platform.automaticCertificateWork().isEmpty)
    }

    static func decode(_ base64URL: String) -> Data? {
        var text = base64URL.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while text.count % 4 != 0 { text += "=" }
        return Data(base64Encoded: text)
    }
}
