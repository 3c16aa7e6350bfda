import Foundation
import OpenrukoCore
import Operations
import Store
import Synchronization
import TestSupport
import Testing

/// The API token cache: hits skip the store; a revoked token or a deleted user is refused at
/// once, also when another process (another `Platform` on the same data directory, with its
/// own cache) revoked it; expired tokens are refused; the cache stays bounded.
@Suite(.timeLimit(.minutes(5))) struct TokenCacheTests {
    @Test func aRevokedTokenIsRefusedAtOnceInEveryProcess() throws {
        let installation = try TestInstallation()
        let daemon = installation.platform
        // The admin's process: its own Platform (and cache) on the same data directory.
        let admin = Platform(store: try PlatformStore(path: installation.layout.database), layout: installation.layout, repositories: InMemoryRepositories())
        let (_, user) = try installation.seedUsers()
        let (record, secret) = try daemon.createToken(user: nil, as: .user(user))
        let (_, other) = try daemon.createToken(user: nil, as: .user(user))

        // Cached: verified once, the next lookups are hits.
        #expect(try daemon.authenticate(token: secret)?.1.id == user.id)
        #expect(try daemon.authenticate(token: secret)?.0.id == record.id)
        #expect(try admin.authenticate(token: secret)?.1.id == user.id)

        // Revoked by the other process: refused by the daemon's very next lookup.
        _ = try admin.revokeToken(id: record.id, as: .user(user))
        #expect(try daemon.authenticate(token: secret) == nil)
        #expect(try admin.authenticate(token: secret) == nil)
        // The user's other token still works (and is cached again).
        #expect(try daemon.authenticate(token: other)?.1.id == user.id)
        #expect(try daemon.authenticate(token: other)?.1.id == user.id)

        // Revoked in the same process: refused at once too.
        let (third, thirdSecret) = try daemon.createToken(user: nil, as: .user(user))
        #expect(try daemon.authenticate(token: thirdSecret) != nil)
        _ = try daemon.revokeToken(id: third.id, as: .user(user))
        #expect(try daemon.authenticate(token: thirdSecret) == nil)

        // The user deleted elsewhere: every token of theirs is refused at once.
        _ = try admin.destroyUser(email: user.email, as: .superuser)
        #expect(try daemon.authenticate(token: other) == nil)
        // Guessed tokens are never found.
        #expect(try daemon.authenticate(token: "ork_" + String(repeating: "0", count: 64)) == nil)
    }

    @Test func hitsSkipTheStoreAndEntriesExpireAndStayBounded() throws {
        let directory = TemporaryDirectory("openruko-token-cache")
        let stamp = directory.appending("credentials.stamp")
        let cache = TokenCache(stampPath: stamp, capacity: 2, lifetime: .seconds(3600))
        let user = User(id: UUID(), email: "a@example.com", isAdmin: false, hasPassword: false, createdAt: Date(), updatedAt: Date())
        let token = APIToken(id: UUID(), userID: user.id, description: "", createdAt: Date(), expiresAt: nil)
        let fetches = Mutex(0)
        func fetch() -> (APIToken, User)? {
            fetches.withLock { $0 += 1 }
            return (token, user)
        }
        for _ in 0..<5 { #expect(try cache.lookup("h1", fetch: fetch)?.0.id == token.id) }
        #expect(fetches.withLock { $0 } == 1)

        // A rewritten stamp empties it.
        try TokenCache.invalidate(stampPath: stamp)
        _ = try cache.lookup("h1", fetch: fetch)
        #expect(fetches.withLock { $0 } == 2)

        // Not found: never cached.
        for _ in 0..<3 { #expect(try cache.lookup("missing") { () -> (APIToken, User)? in nil } == nil) }

        // An expired token is asked about again (and the store, which checks expiry, refuses it).
        var expiring = token
        expiring.expiresAt = Date().addingTimeInterval(60)
        _ = try cache.lookup("h2") { (expiring, user) }
        var asked = false
        let later = try cache.lookup("h2", now: Date().addingTimeInterval(120)) { () -> (APIToken, User)? in
            asked = true
            return nil
        }
        #expect(asked && later == nil)

        // Bounded: the third entry empties a full cache of two.
        _ = try cache.lookup("h1", fetch: fetch)
        _ = try cache.lookup("h3", fetch: fetch)
        _ = try cache.lookup("h4", fetch: fetch)
        let before = fetches.withLock { $0 }
        _ = try cache.lookup("h1", fetch: fetch)
        #expect(fetches.withLock { $0 } == before + 1)

        // A short lifetime: asked again once it passed.
        let brief = TokenCache(stampPath: stamp, lifetime: .zero)
        let count = Mutex(0)
        for _ in 0..<2 {
            _ = try brief.lookup("h1") { () -> (APIToken, User)? in
                count.withLock { $0 += 1 }
                return (token, user)
            }
        }
        #expect(count.withLock { $0 } == 2)
    }
}
