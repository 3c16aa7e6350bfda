import Foundation
import Synchronization

/// Heroku's request budget per user: a bucket of `capacity` requests refilled evenly over an
/// hour. Each authenticated request takes one; an empty bucket answers 429 `rate_limit`.
/// The remainder is reported in `RateLimit-Remaining` (heroku3 reads it on every call).
///
/// The buckets live in memory (a request costs no write); with a `file`, they are loaded
/// from it at start and saved to it by `save()` (the API server does every `saveInterval`
/// and when it stops), so a restart forgets at most that long of requests.
final class RateLimiter: Sendable {
    private struct Bucket: Codable {
        var tokens: Double
        var updated: Date
    }

    private struct State {
        var buckets: [UUID: Bucket] = [:]
        var dirty = false
    }

    /// Requests per hour per user.
    let capacity: Int
    /// Where the buckets are kept across restarts (nil: memory only).
    let file: String?
    private let state: Mutex<State>

    /// Heroku's budget: 4,500 requests an hour.
    static let herokuCapacity = 4500
    /// How often the API server saves the buckets.
    static let saveInterval: Duration = .seconds(30)

    init(capacity: Int = RateLimiter.herokuCapacity, file: String? = nil) {
        self.capacity = max(1, capacity)
        self.file = file
        var loaded: [UUID: Bucket] = [:]
        if let file, let data = FileManager.default.contents(atPath: file), data.count <= 64 << 20 {
            let decoder = JSONDecoder()
            decoder.dateDecodingStrategy = .secondsSince1970
            loaded = (try? decoder.decode([UUID: Bucket].self, from: data)) ?? [:]
        }
        state = Mutex(State(buckets: loaded))
    }

    /// Writes the buckets that are not full to `file` (atomically), when they changed.
    func save(now: Date = Date()) {
        guard let file else { return }
        let capacity = Double(self.capacity)
        let snapshot: [UUID: Bucket]? = state.withLock { state in
            guard state.dirty else { return nil }
            state.dirty = false
            // A bucket that has refilled is the same as none.
            state.buckets = state.buckets.filter { $0.value.tokens + now.timeIntervalSince($0.value.updated) * capacity / 3600 < capacity }
            return state.buckets
        }
        guard let snapshot else { return }
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .secondsSince1970
        guard let data = try? encoder.encode(snapshot) else { return }
        try? data.write(to: URL(fileURLWithPath: file), options: .atomic)
        try? FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: file)
    }

    /// Takes one request from the user's bucket.
    /// - Returns: what remains, or nil when the bucket was empty.
    func take(_ user: UUID, now: Date = Date()) -> Int? {
        state.withLock { state in
            state.dirty = true
            var bucket = state.buckets[user] ?? Bucket(tokens: Double(capacity), updated: now)
            let refill = now.timeIntervalSince(bucket.updated) * Double(capacity) / 3600
            bucket.tokens = min(Double(capacity), bucket.tokens + max(0, refill))
            bucket.updated = now
            guard bucket.tokens >= 1 else {
                state.buckets[user] = bucket
                return nil
            }
            bucket.tokens -= 1
            state.buckets[user] = bucket
            return Int(bucket.tokens)
        }
    }

    /// What the user has left, without taking any.
    func remaining(_ user: UUID, now: Date = Date()) -> Int {
        state.withLock { state in
            guard let bucket = state.buckets[user] else { return capacity }
            let refill = now.timeIntervalSince(bucket.updated) * Double(capacity) / 3600
            return Int(min(Double(capacity), bucket.tokens + max(0, refill)))
        }
    }
}
