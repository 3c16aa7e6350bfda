import Foundation
import Testing

@testable import SSHFrontend

@Suite(.timeLimit(.minutes(15))) struct SourcePenaltiesTests {
    let start = ContinuousClock.now

    @Test func aBurstIsAdmittedThenTheSourceMustSlowDown() {
        var penalties = SourcePenalties(policy: .init(burst: 3, perSecond: 1, failuresAllowed: 100))
        for _ in 0..<3 { #expect(penalties.admit("10.0.0.1", now: start) == .admitted) }
        #expect(penalties.admit("10.0.0.1", now: start) == .tooFast)
        #expect(penalties.admit("10.0.0.2", now: start) == .admitted, "other sources are not affected")
        #expect(penalties.admit("10.0.0.1", now: start + .seconds(1)) == .admitted)
        #expect(penalties.admit("10.0.0.1", now: start + .seconds(1)) == .tooFast)
    }

    @Test func unauthenticatedConnectionsEarnAPenaltyThatExpires() {
        var penalties = SourcePenalties(policy: .init(burst: 100, perSecond: 100, failuresAllowed: 3, penalty: .seconds(60)))
        for _ in 0..<3 {
            #expect(penalties.admit("::1", now: start) == .admitted)
            penalties.failedAuthentication("::1", now: start)
        }
        #expect(penalties.admit("::1", now: start + .seconds(1)) == .penalized(until: start + .seconds(60)))
        #expect(penalties.admit("127.0.0.1", now: start + .seconds(1)) == .admitted)
        #expect(penalties.admit("::1", now: start + .seconds(61)) == .admitted)
    }

    @Test func memoryStaysBounded() {
        var penalties = SourcePenalties(policy: .init(burst: 10, perSecond: 1, maximumSources: 100))
        for index in 0..<10_000 { _ = penalties.admit("10.1.\(index / 256).\(index % 256)", now: start + .seconds(index)) }
        #expect(penalties.remembered <= 101)
        #expect(penalties.admit("10.200.0.1", now: start + .seconds(20_000)) == .admitted)
    }

    @Test func addressesLoseTheirPort() {
        #expect(SourcePenalties.address(of: "127.0.0.1:5555") == "127.0.0.1")
        #expect(SourcePenalties.address(of: "::1:5555") == "::1")
        #expect(SourcePenalties.address(of: "[fe80::1]:22") == "fe80::1")
    }
}
