import Testing

@testable import SSHFrontend

/// Failed accepts (out of descriptors): a growing pause and two log lines per episode.
@Suite(.timeLimit(.minutes(15))) struct AcceptBackoffTests {
    let start = ContinuousClock.now

    @Test func anEpisodeIsLoggedOnceAndPausesLongerEachTime() {
        var backoff = AcceptBackoff(policy: .init(minimum: .milliseconds(10), maximum: .seconds(1)))
        let nothing = backoff.succeeded(now: start)
        #expect(nothing == nil, "no episode, nothing to report")
        var steps: [AcceptBackoff.Step] = []
        for index in 0..<20 { steps.append(backoff.failed(now: start + .milliseconds(index * 100))) }
        #expect(steps.filter(\.log).count == 1, "one line for twenty failures")
        #expect(steps.first == AcceptBackoff.Step(delay: .milliseconds(10), log: true))
        #expect(steps[1].delay == .milliseconds(20))
        #expect(steps.last?.delay == .seconds(1), "capped")
        #expect(backoff.isBackingOff)
        let recovery = backoff.succeeded(now: start + .seconds(5))
        #expect(recovery == AcceptBackoff.Recovery(failures: 20, lasted: .seconds(5)))
        #expect(!backoff.isBackingOff)
        let next = backoff.failed(now: start + .seconds(6))
        #expect(next == AcceptBackoff.Step(delay: .milliseconds(10), log: true), "a new episode")
    }
}
