import Testing

@testable import PlatformAPI

/// The decisions on password logins: failures per account and per source, in a sliding window.
@Suite(.timeLimit(.minutes(15))) struct LoginThrottleTests {
    let start = ContinuousClock.now

    /// A throttle and a shorthand for its attempts.
    struct Subject {
        var throttle: LoginThrottle
        let start: ContinuousClock.Instant

        mutating func attempt(_ account: String, _ source: String, at second: Int) -> LoginThrottle.Verdict {
            throttle.attempt(account: account, source: source, now: start + .seconds(second))
        }
    }

    func subject(_ policy: LoginThrottle.Policy = .init()) -> Subject { Subject(throttle: LoginThrottle(policy: policy), start: start) }

    func allowed(_ verdict: LoginThrottle.Verdict) -> LoginThrottle.Attempt? {
        if case .allowed(let attempt) = verdict { return attempt }
        return nil
    }

    @Test func fiveFailuresAMinuteThenRefusedUntilTheOldestExpires() {
        var s = subject()
        let first = (0..<5).map { s.attempt("a@example.com", "10.0.0.1", at: $0) }
        #expect(first.allSatisfy { allowed($0) != nil })
        let account = s.attempt("a@example.com", "10.0.0.9", at: 10)
        #expect(account == .refused(retryAfter: .seconds(50)))
        let source = s.attempt("b@example.com", "10.0.0.1", at: 10)
        #expect(source == .refused(retryAfter: .seconds(50)))
        let elsewhere = s.attempt("b@example.com", "10.0.0.2", at: 10)
        #expect(allowed(elsewhere) != nil, "another account from another source is not affected")
        let expired = s.attempt("A@EXAMPLE.COM", "10.0.0.3", at: 60)
        #expect(allowed(expired) != nil, "the oldest failure left the window (e-mails compare case-insensitively)")
        let full = s.attempt("a@example.com", "10.0.0.3", at: 60)
        #expect(full == .refused(retryAfter: .seconds(1)))
    }

    @Test func aRightPasswordIsNoFailureAndClearsItsAccountButNotItsSource() throws {
        var s = subject()
        for second in 0..<4 { _ = s.attempt("a@example.com", "10.0.0.1", at: second) }
        let right = try #require(allowed(s.attempt("a@example.com", "10.0.0.1", at: 4)))
        #expect(!right.isClean)
        s.throttle.succeeded(right)
        let account = s.attempt("a@example.com", "10.0.0.2", at: 5)
        #expect(allowed(account) != nil, "the account starts afresh")
        let fifth = s.attempt("c@example.com", "10.0.0.1", at: 5)
        #expect(allowed(fifth) != nil)
        let sixth = s.attempt("d@example.com", "10.0.0.1", at: 6)
        #expect(sixth == .refused(retryAfter: .seconds(54)), "the source keeps its four failures plus c's")
    }

    @Test func concurrentAttemptsCountFromTheirStart() {
        var s = subject()
        let verdicts = (0..<7).map { _ in s.attempt("a@example.com", "10.0.0.1", at: 0) }
        #expect(verdicts.compactMap(allowed).count == 5)
        #expect(verdicts.filter { $0 == .refused(retryAfter: .seconds(60)) }.count == 2)
    }

    @Test func onlyAttemptsWithoutRecentFailuresAreClean() throws {
        var s = subject()
        let first = try #require(allowed(s.attempt("a@example.com", "10.0.0.1", at: 0)))
        #expect(first.isClean)
        let second = try #require(allowed(s.attempt("a@example.com", "10.0.0.2", at: 0)))
        #expect(!second.isClean, "the account has failed")
        let third = try #require(allowed(s.attempt("b@example.com", "10.0.0.1", at: 0)))
        #expect(!third.isClean, "the source has failed")
        let fourth = try #require(allowed(s.attempt("c@example.com", "10.0.0.3", at: 0)))
        #expect(fourth.isClean)
        s.throttle.withdraw(fourth)
        let again = try #require(allowed(s.attempt("c@example.com", "10.0.0.3", at: 0)))
        #expect(again.isClean, "a withdrawn attempt left nothing behind")
    }

    @Test func memoryStaysBounded() {
        var s = subject(.init(maximumEntries: 100))
        for index in 0..<10_000 { _ = s.attempt("u\(index)@example.com", "10.1.\(index / 256).\(index % 256)", at: index) }
        #expect(s.throttle.remembered <= 102)
    }
}
