import Foundation
import Testing
import TestSupport

@testable import PlatformAPI

/// The rate limit across restarts: what a user spent is saved and loaded by the next server
/// (a restart cannot be used to refill a bucket), refilled buckets are not kept, and a
/// corrupt file is ignored.
@Suite(.timeLimit(.minutes(5))) struct RateLimiterPersistenceTests {
    @Test func spentRequestsSurviveARestart() throws {
        let directory = TemporaryDirectory("openruko-rate-limits")
        let file = directory.appending("rate-limits.json")
        let now = Date()
        let (spender, idle) = (UUID(), UUID())
        let first = RateLimiter(capacity: 10, file: file)
        for _ in 0..<10 { _ = first.take(spender, now: now) }
        #expect(first.take(spender, now: now) == nil)
        #expect(first.take(idle, now: now.addingTimeInterval(-7200)) == 9)  // long ago: refilled by now
        first.save(now: now)
        let attributes = try FileManager.default.attributesOfItem(atPath: file)
        #expect((attributes[.posixPermissions] as? Int).map { $0 & 0o077 } == 0, "the file is private")

        // The next server still refuses the spender, and knows nothing of the refilled bucket.
        let second = RateLimiter(capacity: 10, file: file)
        #expect(second.take(spender, now: now) == nil)
        #expect(second.remaining(spender, now: now.addingTimeInterval(720)) == 2)
        #expect(second.remaining(idle, now: now) == 10)
        let saved = try String(contentsOfFile: file, encoding: .utf8)
        #expect(!saved.contains(idle.uuidString), "\(saved)")

        // A corrupt file: no buckets, no crash.
        try "{not json".write(toFile: file, atomically: true, encoding: .utf8)
        #expect(RateLimiter(capacity: 10, file: file).remaining(spender, now: now) == 10)
    }
}
