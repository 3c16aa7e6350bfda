import OpenrukoCore
import Testing

/// The pure parts of every listener's caps: the connection budget and the refusal log.
@Suite(.timeLimit(.minutes(15))) struct ListenerLimitTests {
    let start = ContinuousClock.now

    @Test func theBudgetCapsEachSourceAndTheTotal() {
        var budget = ConnectionBudget(total: 5, perSource: 2)
        let sources = ["10.0.0.1", "10.0.0.1", "10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.3", "10.0.0.4"]
        let verdicts = sources.map { budget.admit($0) }
        #expect(verdicts == [nil, nil, .sourceFull, nil, nil, nil, .full])
        budget.release("10.0.0.1")
        #expect(budget.open == 4)
        let again = budget.admit("10.0.0.1")
        #expect(again == nil, "a released place is free again")
        budget.release("10.0.0.9")
        #expect(budget.open == 5, "releasing what was never admitted changes nothing")
    }

    @Test func sourcesWithNothingOpenAreForgotten() {
        var budget = ConnectionBudget(total: 100_000, perSource: 1)
        var refused = 0
        for index in 0..<10_000 {
            let source = "10.1.\(index / 256).\(index % 256)"
            if budget.admit(source) != nil { refused += 1 }
            budget.release(source)
        }
        #expect(refused == 0)
        #expect(budget.sources == 0)
        #expect(budget.open == 0)
    }

    @Test func oneLinePerSourcePerMinuteThenASummary() {
        var log = RefusalLog()
        let first = [log.refused("10.0.0.1", now: start), log.refused("10.0.0.2", now: start)]
        #expect(first == [true, true], "each source gets its own line")
        var logged = 0
        for second in 1...20 where log.refused("10.0.0.1", now: start + .seconds(second)) { logged += 1 }
        if log.refused("10.0.0.2", now: start + .seconds(30)) { logged += 1 }
        #expect(logged == 0)
        #expect(log.nextSummary == start + .seconds(61))
        let early = log.summary(now: start + .seconds(60))
        #expect(early == nil, "not due yet")
        let due = log.summary(now: start + .seconds(61))
        #expect(due == RefusalLog.Summary(refusals: 21, sources: 2))
        let later = log.summary(now: start + .seconds(200))
        #expect(later == nil, "counted once")
        #expect(log.nextSummary == nil)
        let aMinuteLater = log.refused("10.0.0.1", now: start + .seconds(61))
        #expect(aMinuteLater, "a minute later the source is logged again")
    }

    @Test func moreSourcesThanItRemembersAreCountedNotLoggedEach() {
        var log = RefusalLog(policy: .init(maximumSources: 100))
        var logged = 0
        for index in 0..<10_000 where log.refused("10.1.\(index / 256).\(index % 256)", now: start + .milliseconds(index)) {
            logged += 1
        }
        #expect(logged == 100, "one line for each source it can remember")
        let summary = log.summary(now: start + .seconds(120))
        #expect(summary?.refusals == 9_900)
        let afterAnHour = log.refused("10.1.0.0", now: start + .seconds(3_600))
        #expect(afterAnHour)
    }
}
