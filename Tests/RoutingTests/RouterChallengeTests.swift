import Foundation
import OpenrukoCore
import Testing
import TestSupport

@testable import Routing

/// ACME HTTP-01 on the router's plain listener: a pending token is answered for its own host
/// only; another host, an unknown token, another method, the TLS listener and every other
/// path still reach the app.
@Suite(.timeLimit(.minutes(5))) struct RouterChallengeTests {
    @Test func onlyPendingTokensOfTheRightHostAreAnsweredByTheRouter() async throws {
        let shop = try await TestBackend.start(name: "shop.1")
        let eve = try await TestBackend.start(name: "eve.1")
        let challenges = ACMEChallenges()
        let tls = try RouterTLSTests.Authority()
        try await RouterHarness.with(certificates: tls.certificates, challenges: challenges) { router in
            router.routes.set("www.shop.test", .backends(app: "shop", appID: UUID(), [shop.backend]))
            router.routes.set("eve.localhost", .backends(app: "eve", appID: UUID(), [eve.backend]))
            let path = "/.well-known/acme-challenge/tok_1"
            // Nothing pending: the app answers.
            #expect(try JSONDecoder().decode(Echo.self, from: Data(try await router.curl("www.shop.test", [path]).stdout.utf8)).path == path)

            #expect(challenges.publish(host: "www.shop.test", token: "tok_1", keyAuthorization: "tok_1.thumb"))
            let answered = try await router.curl("www.shop.test", [path, path], ["-w", " %{http_code}\n"])
            #expect(answered.stdout == "tok_1.thumb 200\ntok_1.thumb 200\n", "two on one keep-alive connection: \(answered.stdout)")
            #expect(try await router.curl("WWW.SHOP.TEST", [path]).stdout == "tok_1.thumb", "hosts are case-insensitive")

            // Another tenant's host, an unknown token, a POST, a longer path, https: the app.
            for (host, target, extra) in [
                ("eve.localhost", path, [String]()), ("www.shop.test", "/.well-known/acme-challenge/other", []),
                ("www.shop.test", path, ["-X", "POST"]), ("www.shop.test", path + "/x", []),
                ("www.shop.test", "/.well-known/acme-challenge/", []),
            ] {
                let routed = try await router.curl(host, [target], extra)
                let echo = try JSONDecoder().decode(Echo.self, from: Data(routed.stdout.utf8))
                #expect(echo.path == target, "\(host) \(target) \(extra)")
            }
            let overTLS = try await router.curlTLS("eve.localhost", [path], caFile: tls.caFile)
            #expect(try JSONDecoder().decode(Echo.self, from: Data(overTLS.stdout.utf8)).backend == "eve.1")

            challenges.withdraw(host: "www.shop.test", token: "tok_1")
            #expect(try JSONDecoder().decode(Echo.self, from: Data(try await router.curl("www.shop.test", [path]).stdout.utf8)).path == path)
        }
    }

    @Test func theTableIsBounded() {
        let challenges = ACMEChallenges()
        for index in 0..<ACMEChallenges.maximumEntries {
            #expect(challenges.publish(host: "h\(index).test", token: "t", keyAuthorization: "k"))
        }
        #expect(!challenges.publish(host: "one-more.test", token: "t", keyAuthorization: "k"))
        #expect(challenges.answer(host: "one-more.test", token: "t") == nil)
        #expect(challenges.answer(host: "h1.test", token: "t") == "k")
    }
}
