package import Foundation
package import OpenrukoCore
import Synchronization

/// API tokens verified recently, so that a request does not query the store for its token
/// and user every time (the API's hot path). Keyed by the token's SHA-256 (the secret itself
/// is never kept), at most `capacity` entries (full: emptied), each trusted for `lifetime`
/// and never past its token's expiry. Only valid tokens are cached: an unknown token always
/// reaches the store.
///
/// Revocation is immediate, across processes: whoever revokes a token or deletes a user
/// (the daemon's API, `openruko admin`, `openruko ssh-command`) rewrites the credentials
/// stamp file after the store changed (`Platform.credentialsChanged`), and every lookup
/// compares that file's stamp (one `lstat`) with the one read before its entries were
/// fetched: any change empties the cache. An entry is tagged with the stamp read *before*
/// its query, so a revocation racing a fill is never hidden.
///
/// ```swift
/// let cache = TokenCache(stampPath: layout.run + "/credentials.stamp")
/// let found = try cache.lookup(hash) { try store.token(hash: hash) }
/// ```
package final class TokenCache: Sendable {
    private struct Entry {
        let token: APIToken
        let user: User
        let cachedAt: ContinuousClock.Instant
    }

    private struct State {
        var stamp = FileStamp.missing
        var entries: [String: Entry] = [:]
    }

    /// The file whose rewrite empties every cache (`DATA_DIR/run/credentials.stamp`).
    package let stampPath: String
    /// Most entries at once.
    package let capacity: Int
    /// How long an entry is trusted without asking the store (a safety net: revocation is
    /// signalled by the stamp).
    package let lifetime: Duration
    private let state = Mutex(State())

    package init(stampPath: String, capacity: Int = 10_000, lifetime: Duration = .seconds(30)) {
        self.stampPath = stampPath
        self.capacity = max(1, capacity)
        self.lifetime = lifetime
    }

    /// The token and user of `hash`: cached when still trusted, else from `fetch` (cached
    /// when found).
    package func lookup(
        _ hash: String, now: Date = Date(), fetch: () throws(OpenrukoError) -> (APIToken, User)?
    ) throws(OpenrukoError) -> (APIToken, User)? {
        let stamp = FileStamp(of: stampPath)
        let clock = ContinuousClock.now
        let hit: (APIToken, User)? = state.withLock { state in
            if state.stamp != stamp {
                state.entries.removeAll()
                state.stamp = stamp
                return nil
            }
            guard let entry = state.entries[hash] else { return nil }
            guard entry.cachedAt.duration(to: clock) < lifetime, entry.token.expiresAt.map({ $0 > now }) ?? true else {
                state.entries[hash] = nil
                return nil
            }
            return (entry.token, entry.user)
        }
        if let hit { return hit }
        guard let found = try fetch() else { return nil }
        state.withLock { state in
            // Fetched under `stamp`: kept only while that is still the current one.
            guard state.stamp == stamp else { return }
            if state.entries.count >= capacity { state.entries.removeAll() }
            state.entries[hash] = Entry(token: found.0, user: found.1, cachedAt: clock)
        }
        return found
    }

    /// Rewrites the stamp file at `path` (a new inode), so every cache reading it empties.
    /// - Throws: `internal` when it cannot be written.
    package static func invalidate(stampPath path: String) throws(OpenrukoError) {
        var generator = SystemRandomNumberGenerator()
        let text = String(UInt64.random(in: .min ... .max, using: &generator), radix: 16) + "\n"
        do {
            let directory = URL(fileURLWithPath: path).deletingLastPathComponent()
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw OpenrukoError(.internal, "Cannot record the credentials change in \(path): \(error)")
        }
    }
}
