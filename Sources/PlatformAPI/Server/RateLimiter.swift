import Foundation
import Synchronization

/// Heroku's request budget per user: a bucket of `capacity` requests refilled evenly over an
/// hour. Each authenticated request takes one; an empty bucket answers 429 `rate_limit`.
/// The remainder is reported in `RateLimit-Remaining` (heroku3 reads it on every call).
final class RateLimiter: Sendable {
    private struct Bucket {
        var tokens: Double
        var updated: Date
    }

    /// Requests per hour per user.
    let capacity: Int
    private let buckets = Mutex<[UUID: Bucket]>([:])

    /// Heroku's budget: 4,500 requests an hour.
    static let herokuCapacity = 4500

    init(capacity: Int = RateLimiter.herokuCapacity) {
        self.capacity = max(1, capacity)
    }

    /// Takes one request from the user's bucket.
    /// - Returns: what remains, or nil when the bucket was empty.
    func take(_ user: UUID, now: Date = Date()) -> Int? {
        buckets.withLock { buckets in
            var bucket = buckets[user] ?? Bucket(tokens: Double(capacity), updated: now)
            let refill = now.timeIntervalSince(bucket.updated) * Double(capacity) / 3600
            bucket.tokens = min(Double(capacity), bucket.tokens + max(0, refill))
            bucket.updated = now
            guard bucket.tokens >= 1 else {
                buckets[user] = bucket
                return nil
            }
            bucket.tokens -= 1
            buckets[user] = bucket
            return Int(bucket.tokens)
        }
    }

    /// What the user has left, without taking any.
    func remaining(_ user: UUID, now: Date = Date()) -> Int {
        buckets.withLock { buckets in
            guard let bucket = buckets[user] else { return capacity }
            let refill = now.timeIntervalSince(bucket.updated) * Double(capacity) / 3600
            return Int(min(Double(capacity), bucket.tokens + max(0, refill)))
        }
    }
}
