import Foundation
import OpenrukoCore
import SSHFrontend
import Testing

@Suite(.timeLimit(.minutes(15))) struct SessionStateTests {
    let alice = User(id: UUID(), email: "alice@example.com", isAdmin: false, hasPassword: false, createdAt: Date(), updatedAt: Date())

    func key(_ fingerprint: String) -> SSHKey {
        SSHKey(
            id: UUID(), userID: alice.id, userEmail: alice.email, name: "k", type: "ssh-ed25519", fingerprint: fingerprint,
            publicKey: "", createdAt: Date(), updatedAt: Date())
    }

    @Test func aProbeIsNotAuthenticationOnlyASignedAttemptIs() {
        var state = SessionState()
        var lookups = 0
        let lookup: (String) -> (SSHKey, User)? = { fingerprint in
            lookups += 1
            return fingerprint == "SHA256:good" ? (key(fingerprint), alice) : nil
        }
        let accepted1 = state.authenticate(fingerprint: "SHA256:good", signed: false, lookup: lookup)
        #expect(accepted1)
        #expect(!state.isAuthenticated)
        let accepted2 = state.authenticate(fingerprint: "SHA256:good", signed: true, lookup: lookup)
        #expect(accepted2)
        #expect(state.user == alice)
        #expect(state.key?.fingerprint == "SHA256:good")
        #expect(lookups == 1, "the probe's lookup serves the signed attempt")
    }

    @Test func unknownKeysAreRefusedAndTheClientRunsOutOfAttempts() {
        var state = SessionState()
        for _ in 0..<SessionState.maximumFailures {
            let accepted3 = state.authenticate(fingerprint: "SHA256:unknown", signed: true) { _ in nil }
            #expect(!accepted3)
        }
        #expect(state.isExhausted)
        let accepted4 = state.authenticate(fingerprint: "SHA256:good", signed: true) { _ in (key("SHA256:good"), alice) }
        #expect(!accepted4)
        #expect(!state.isAuthenticated)
    }

    @Test func aFailingStoreRefuses() {
        struct Broken: Error {}
        var state = SessionState()
        let accepted5 = state.authenticate(fingerprint: "SHA256:x", signed: true) { _ in throw Broken() }
        #expect(!accepted5)
        #expect(!state.isAuthenticated)
    }
}

@Suite(.timeLimit(.minutes(15))) struct ForwardPolicyTests {
    @Test func onlyTheAPIListenerIsReachable() {
        let policy = ForwardPolicy(api: ListenAddress(host: "127.0.0.1", port: 5000))
        #expect(policy.target(host: "127.0.0.1", port: 5000) == ListenAddress(host: "127.0.0.1", port: 5000))
        #expect(policy.target(host: "localhost", port: 5000) == ListenAddress(host: "127.0.0.1", port: 5000))
        #expect(policy.target(host: "LOCALHOST", port: 5000) != nil)
        #expect(policy.target(host: "127.0.0.1", port: 22) == nil)
        #expect(policy.target(host: "10.0.0.1", port: 5000) == nil)
        #expect(policy.target(host: "example.com", port: 5000) == nil)
        #expect(ForwardPolicy(api: nil).target(host: "localhost", port: 5000) == nil)
    }

    @Test func aWildcardListenerIsReachedOnLoopback() {
        let policy = ForwardPolicy(api: ListenAddress(host: "0.0.0.0", port: 5000))
        #expect(policy.target(host: "localhost", port: 5000) == ListenAddress(host: "127.0.0.1", port: 5000))
        #expect(policy.target(host: "192.168.1.1", port: 5000) == nil)
        let specific = ForwardPolicy(api: ListenAddress(host: "10.1.2.3", port: 5000))
        #expect(specific.target(host: "10.1.2.3", port: 5000) == ListenAddress(host: "10.1.2.3", port: 5000))
        #expect(specific.target(host: "localhost", port: 5000) == nil)
        #expect(ForwardPolicy(api: ListenAddress(host: "127.0.0.1", port: 0)).target(host: "localhost", port: 0) == nil)
    }
}
