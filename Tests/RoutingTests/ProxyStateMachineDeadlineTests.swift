import NIOCore
import Testing

@testable import Routing

/// The connection's deadlines as `ProxyStateMachine` decides them, with time passed in:
/// H12, H28 (idle and too slow), H15 (silent dyno, slow reader), idle keep-alive, tunnel idle.
@Suite(.timeLimit(.minutes(2))) struct ProxyStateMachineDeadlineTests {
    typealias Machines = ProxyStateMachineTests

    static func at(_ seconds: Int64) -> NIODeadline { Machines.at(seconds) }

    @Test func aSilentDynoIsH12ThirtySecondsAfterTheRequestWasSent() {
        var machine = Machines.machine()
        #expect(machine.timerFired(at: Self.at(29), dynoWritable: true, clientWritable: true) == .rearm(Self.at(30)))
        #expect(machine.timerFired(at: Self.at(30), dynoWritable: true, clientWritable: true) == .fail(.requestTimeout))
    }

    @Test func h12CountsFromTheLastBodyBytesNotFromTheHead() {
        var machine = Machines.machine(body: .length(10))
        machine.clientBytesArrived(at: Self.at(20))
        #expect(machine.takeBody(Machines.bytes(10).span) == .take(10))
        #expect(machine.timerFired(at: Self.at(30), dynoWritable: true, clientWritable: true) == .rearm(Self.at(50)))
        #expect(machine.timerFired(at: Self.at(50), dynoWritable: true, clientWritable: true) == .fail(.requestTimeout))
    }

    @Test func noH12OnceTheResponseStarted() {
        var machine = Machines.machine()
        _ = machine.responseHead(untilClose: false, at: Self.at(29))
        machine.wroteToClient(100, at: Self.at(29))
        #expect(machine.timerFired(at: Self.at(30), dynoWritable: true, clientWritable: true) == .rearm(Self.at(84)))
    }

    @Test(arguments: [(true, ProxyStateMachine.Expiry.fail(.clientIdle)), (false, .fail(.requestTimeout))])
    func aStalledBodyBeforeTheResponseIsAnswered(dynoWritable: Bool, expiry: ProxyStateMachine.Expiry) {
        // The client stops sending (H28, a 408), or the dyno stopped taking the body (H12).
        var machine = Machines.machine(body: .length(1000))
        #expect(machine.timerFired(at: Self.at(10), dynoWritable: dynoWritable, clientWritable: true) == .rearm(Self.at(55)))
        #expect(machine.timerFired(at: Self.at(55), dynoWritable: dynoWritable, clientWritable: true) == expiry)
    }

    @Test(arguments: [(true, ProxyStateMachine.Expiry.cut(.clientIdle)), (false, .cut(.idleConnection))])
    func aStalledBodyAfterTheResponseStartedIsCut(dynoWritable: Bool, expiry: ProxyStateMachine.Expiry) {
        var machine = Machines.machine(body: .length(1000))
        _ = machine.responseHead(untilClose: false, at: Self.at(1))
        machine.wroteToClient(10, at: Self.at(40))
        #expect(machine.timerFired(at: Self.at(55), dynoWritable: dynoWritable, clientWritable: true) == expiry)
    }

    @Test func aBodyTooSlowOverallIsH28EvenThoughBytesKeepComing() {
        // 60 s plus a second per 500 bytes: 1000 bytes buy 2 s.
        var machine = Machines.machine(body: .length(100_000))
        machine.clientBytesArrived(at: Self.at(50))
        #expect(machine.takeBody(Machines.bytes(1000).span) == .take(1000))
        #expect(machine.bodyDeadline == Self.at(62))
        #expect(machine.timerFired(at: Self.at(61), dynoWritable: true, clientWritable: true) == .rearm(Self.at(62)))
        #expect(machine.timerFired(at: Self.at(62), dynoWritable: true, clientWritable: true) == .fail(.clientIdle))
    }

    @Test func aResponseThatStopsIsH15AfterItsWindow() {
        var machine = Machines.machine()
        _ = machine.responseHead(untilClose: false, at: Self.at(1))
        machine.wroteToClient(100, at: Self.at(1))
        #expect(machine.timerFired(at: Self.at(55), dynoWritable: true, clientWritable: true) == .rearm(Self.at(56)))
        #expect(machine.timerFired(at: Self.at(56), dynoWritable: true, clientWritable: true) == .cut(.idleConnection))
    }

    @Test func aClientReadingTooLittleOfAWindowIsH15OnlyWhileItHoldsTheRouterUp() {
        func trickled() -> ProxyStateMachine {
            var machine = Machines.machine()
            _ = machine.responseHead(untilClose: false, at: Self.at(0))
            for second in stride(from: Int64(0), through: 50, by: 10) { machine.wroteToClient(1000, at: Self.at(second)) }
            return machine
        }
        var stuck = trickled()
        #expect(stuck.timerFired(at: Self.at(55), dynoWritable: true, clientWritable: false) == .cut(.idleConnection))

        // A client that keeps up with a dyno sending little (server-sent events): a new window.
        var keepingUp = trickled()
        #expect(keepingUp.timerFired(at: Self.at(55), dynoWritable: true, clientWritable: true) == .rearm(Self.at(105)))
        #expect(keepingUp.responseWindowStart == Self.at(55))
        #expect(keepingUp.responseWindowBytes == 0)

        // Enough bytes in the window: not a slow reader, even with full buffers.
        var fast = Machines.machine()
        _ = fast.responseHead(untilClose: false, at: Self.at(0))
        fast.wroteToClient(64 * 1024, at: Self.at(50))
        #expect(fast.timerFired(at: Self.at(55), dynoWritable: true, clientWritable: false) == .rearm(Self.at(105)))
    }

    @Test func aKeptAliveConnectionWithNoRequestClosesAfterTheIdleTimeout() {
        var machine = ProxyStateMachine(timeouts: Machines.timeouts, now: Self.at(0))
        #expect(machine.start(at: Self.at(0)) == Self.at(60))
        #expect(machine.timerFired(at: Self.at(60), dynoWritable: false, clientWritable: true) == .close)

        var served = Machines.machine()
        _ = served.responseHead(untilClose: false, at: Self.at(5))
        _ = served.responseEnded(dynoReusable: true, at: Self.at(5))
        #expect(served.timerFired(at: Self.at(60), dynoWritable: false, clientWritable: true) == .rearm(Self.at(65)))
        #expect(served.timerFired(at: Self.at(65), dynoWritable: false, clientWritable: true) == .close)
    }

    @Test func aTunnelClosesAfterItsIdleTimeoutEitherWay() {
        var machine = Machines.machine(upgrade: true)
        guard case .tunnel(let deadline) = machine.switchedProtocols(at: Self.at(2)) else {
            Issue.record("no tunnel")
            return
        }
        #expect(deadline == Self.at(57))
        machine.clientBytesArrived(at: Self.at(30))
        #expect(machine.timerFired(at: Self.at(57), dynoWritable: true, clientWritable: true) == .rearm(Self.at(85)))
        machine.wroteToClient(5, at: Self.at(80))
        #expect(machine.timerFired(at: Self.at(85), dynoWritable: true, clientWritable: true) == .rearm(Self.at(135)))
        #expect(machine.timerFired(at: Self.at(135), dynoWritable: true, clientWritable: true) == .cut(nil))
    }

    @Test func aBodyOwedAfterTheResponseMustKeepComing() {
        var machine = Machines.machine(body: .length(1000))
        _ = machine.responseHead(untilClose: false, at: Self.at(1))
        #expect(machine.responseEnded(dynoReusable: true, at: Self.at(1)).then == .discarding)
        #expect(machine.timerFired(at: Self.at(54), dynoWritable: true, clientWritable: true) == .rearm(Self.at(55)))
        #expect(machine.timerFired(at: Self.at(55), dynoWritable: true, clientWritable: true) == .cut(nil))
    }

    @Test func routingAndClosedConnectionsHaveNoDeadlineOfTheirOwn() {
        var routing = Machines.machine(connected: false)
        #expect(routing.timerFired(at: Self.at(10), dynoWritable: false, clientWritable: true) == .rearm(Self.at(70)))
        let closes = routing.close()
        #expect(closes)
        #expect(routing.timerFired(at: Self.at(100), dynoWritable: false, clientWritable: true) == .nothing)
    }
}
