import Foundation
import NIOCore
import OpenrukoCore
import Testing

@testable import Routing

/// The router's HTTP/1.1 decisions without sockets or clocks: keep-alive, pipelining, replays,
/// upgrades, drains, what the client closing means (`ProxyStateMachine`).
@Suite(.timeLimit(.minutes(2))) struct ProxyStateMachineTests {
    /// Heroku's timeouts (the defaults): client idle 60 s, H12 30 s, H15 window 55 s and 64 KiB,
    /// tunnel 55 s, H28 idle 55 s, whole body 60 s + 1 s per 500 bytes.
    static let timeouts = ProxyStateMachine.Timeouts(RouterConfiguration(listen: ListenAddress(host: "127.0.0.1", port: 0)))
    static let origin = NIODeadline.uptimeNanoseconds(1_000_000_000_000)

    /// `seconds` after an arbitrary origin.
    static func at(_ seconds: Int64, milliseconds: Int64 = 0) -> NIODeadline {
        origin + .seconds(seconds) + .milliseconds(milliseconds)
    }

    static func bytes(_ count: Int) -> [UInt8] { Array(repeating: 0x61, count: count) }

    /// A connection that read one request head at `at(0)` (and was routed, when `connected`, on
    /// a fresh or pooled dyno connection).
    static func machine(
        keepAlive: Bool = true, upgrade: Bool = false, body: BodyLength = .none, connected: Bool = true, reused: Bool = false
    ) -> ProxyStateMachine {
        var machine = ProxyStateMachine(timeouts: timeouts, now: at(0))
        _ = machine.start(at: at(0))
        machine.headParsed(keepAlive: keepAlive, wantsUpgrade: upgrade, body: body, at: at(0))
        if connected { _ = machine.connected(reused: reused, at: at(0)) }
        return machine
    }

    // MARK: - Keep-alive

    @Test func aResponseKeepsTheConnectionOnlyWhenTheClientAskedAndNothingForbidsIt() {
        for keepAlive in [true, false] {
            for upgrade in [true, false] {
                for untilClose in [true, false] {
                    for draining in [true, false] {
                        var machine = Self.machine(keepAlive: keepAlive, upgrade: upgrade)
                        if draining {
                            let closesNow = machine.quiesce(buffered: 0)
                            #expect(!closesNow, "a response is on its way")
                        }
                        let kept = machine.responseHead(untilClose: untilClose, at: Self.at(1))
                        #expect(kept == (keepAlive && !upgrade && !untilClose && !draining))
                        let ending = machine.responseEnded(dynoReusable: true, at: Self.at(1))
                        #expect(ending == .init(releaseDyno: true, then: kept ? .idle : .close))
                        #expect(machine.phase == (kept ? .idle : .forwarding))
                    }
                }
            }
        }
    }

    @Test func theRoutersOwnAnswerKeepsTheConnectionOnlyOnceTheRequestBodyIsRead() {
        var bodiless = Self.machine(connected: false)
        #expect(bodiless.answer(at: Self.at(1)) == .idle)
        #expect(bodiless.phase == .idle)

        var unread = Self.machine(body: .length(10), connected: false)
        #expect(unread.answer(at: Self.at(1)) == .close)
        #expect(unread.phase == .routing, "closing is the driver's, after the flush")

        var read = Self.machine(body: .length(10))
        #expect(read.takeBody(Self.bytes(10).span) == .take(10))
        #expect(read.answer(at: Self.at(1)) == .idle)

        for (keepAlive, upgrade, draining) in [(false, false, false), (true, true, false), (true, false, true)] {
            var machine = Self.machine(keepAlive: keepAlive, upgrade: upgrade, connected: false)
            if draining { _ = machine.quiesce(buffered: 0) }
            #expect(machine.answer(at: Self.at(1)) == .close)
        }
    }

    @Test func aDynoConnectionIsPooledOnlyWhenItGotTheWholeRequestAndStaysOpen() {
        var whole = Self.machine(body: .length(3))
        _ = whole.takeBody(Self.bytes(3).span)
        _ = whole.responseHead(untilClose: false, at: Self.at(1))
        #expect(whole.responseEnded(dynoReusable: false, at: Self.at(1)) == .init(releaseDyno: false, then: .idle))

        // An early answer (a 413 before the upload ended): the rest of the body is thrown away.
        var early = Self.machine(body: .length(100))
        _ = early.takeBody(Self.bytes(40).span)
        _ = early.responseHead(untilClose: false, at: Self.at(1))
        #expect(early.responseEnded(dynoReusable: true, at: Self.at(1)) == .init(releaseDyno: false, then: .discarding))
        #expect(early.phase == .discarding)
        #expect(early.takeBody(Self.bytes(100).span) == .take(60))
        #expect(early.phase == .idle)
    }

    // MARK: - Reading and pipelining

    @Test func theClientIsReadOnlyWhenThereIsSomewhereToPutTheBytes() {
        var machine = ProxyStateMachine(timeouts: Self.timeouts, now: Self.at(0))
        #expect(machine.shouldRead(buffered: 10, dynoWritable: false), "idle: a head may be on its way")
        machine.headParsed(keepAlive: true, wantsUpgrade: false, body: .chunked, at: Self.at(0))
        #expect(!machine.shouldRead(buffered: 0, dynoWritable: true), "routing: the body waits for its dyno")
        _ = machine.connected(reused: false, at: Self.at(0))
        #expect(machine.shouldRead(buffered: 0, dynoWritable: true))
        #expect(!machine.shouldRead(buffered: 0, dynoWritable: false), "the dyno does not take the body")
        #expect(!machine.shouldRead(buffered: 1, dynoWritable: true), "a piece still waits")

        // The body ended: a pipelined request is read ahead, up to the limit.
        #expect(machine.takeBody(Array("0\r\n\r\n".utf8).span) == .take(5))
        #expect(machine.requestEnded)
        #expect(machine.shouldRead(buffered: ProxyStateMachine.readAheadLimit - 1, dynoWritable: false))
        #expect(!machine.shouldRead(buffered: ProxyStateMachine.readAheadLimit, dynoWritable: true))
        let closes = machine.close()
        #expect(closes)
        #expect(!machine.shouldRead(buffered: 0, dynoWritable: true))
        let closesAgain = machine.close()
        #expect(!closesAgain, "closing twice is nothing")
    }

    @Test func onlyBodyAndTunnelBytesCountAsClientActivity() {
        var machine = Self.machine(body: .length(5))
        #expect(machine.timesClientBytes)
        machine.clientBytesArrived(at: Self.at(7))
        #expect(machine.bodyActivity == Self.at(7))
        _ = machine.takeBody(Self.bytes(5).span)
        #expect(!machine.timesClientBytes, "a pipelined head read ahead is no body activity")
        #expect(!Self.machine(connected: false).timesClientBytes)
        var tunnel = Self.machine(upgrade: true)
        _ = tunnel.switchedProtocols(at: Self.at(1))
        #expect(tunnel.timesClientBytes)
        tunnel.clientBytesArrived(at: Self.at(9))
        #expect(tunnel.lastActivity == Self.at(9))
    }

    @Test func brokenChunkedFramingIsReported() {
        var machine = Self.machine(body: .chunked)
        #expect(machine.takeBody(Array("zz\r\n".utf8).span) == .malformed)
    }

    // MARK: - The dyno closing

    @Test func aStalePooledConnectionIsReplacedOnceIfNothingButTheHeadWentOnIt() {
        var machine = Self.machine(reused: true)
        #expect(machine.dynoClosed() == .replay)
        #expect(machine.phase == .routing)
        #expect(machine.request.sentAt == nil)
        _ = machine.connected(reused: true, at: Self.at(1))
        #expect(machine.dynoClosed() == .fail(.connectionClosed), "only once")

        var fresh = Self.machine(reused: false)
        #expect(fresh.dynoClosed() == .fail(.connectionClosed))

        var withBody = Self.machine(body: .length(4), reused: true)
        _ = withBody.takeBody(Self.bytes(2).span)
        #expect(withBody.request.bodyForwarded)
        #expect(withBody.dynoClosed() == .fail(.connectionClosed), "body bytes went to the dyno")

        var emptyPiece = Self.machine(body: .length(4), reused: true)
        _ = emptyPiece.takeBody(Self.bytes(0).span)
        #expect(emptyPiece.dynoClosed() == .replay)
    }

    @Test func aResponseCutShortEndsTheConnectionAndATunnelCloses() {
        var started = Self.machine(reused: true)
        _ = started.responseHead(untilClose: false, at: Self.at(1))
        #expect(started.dynoClosed() == .endResponse)

        var tunnel = Self.machine(upgrade: true)
        _ = tunnel.switchedProtocols(at: Self.at(1))
        #expect(tunnel.dynoClosed() == .close)
    }

    // MARK: - Upgrades

    @Test func a101BecomesATunnelOnlyForAClientThatAskedForAnUpgrade() {
        var asked = Self.machine(upgrade: true)
        #expect(asked.switchedProtocols(at: Self.at(2)) == .tunnel(idleDeadline: Self.at(57)))
        #expect(asked.phase == .tunnel)
        #expect(asked.shouldRead(buffered: 0, dynoWritable: true))
        #expect(!asked.shouldRead(buffered: 0, dynoWritable: false))
        #expect(!asked.shouldRead(buffered: 3, dynoWritable: true))

        var unasked = Self.machine()
        #expect(unasked.switchedProtocols(at: Self.at(2)) == .refuse(.connectionClosed))
        #expect(unasked.phase == .forwarding)
    }

    // MARK: - Drain

    @Test func aDrainClosesAnIdleConnectionAtOnce() {
        var machine = ProxyStateMachine(timeouts: Self.timeouts, now: Self.at(0))
        let closesNow = machine.quiesce(buffered: 0)
        #expect(closesNow)
        var buffered = ProxyStateMachine(timeouts: Self.timeouts, now: Self.at(0))
        let closesWithARequestRead = buffered.quiesce(buffered: 12)
        #expect(!closesWithARequestRead, "a request already read is served first")
    }

    @Test func aDrainLetsTheCurrentExchangeFinishThenCloses() {
        var machine = Self.machine()
        let closesMidExchange = machine.quiesce(buffered: 0)
        #expect(!closesMidExchange)
        #expect(machine.quiescing)
        let keepAlive = machine.responseHead(untilClose: false, at: Self.at(1))
        #expect(!keepAlive, "the response says Connection: close")
        #expect(machine.responseEnded(dynoReusable: true, at: Self.at(1)) == .init(releaseDyno: true, then: .close))

        // A drain while the answer's kept-alive response is already out: the body still owed
        // is read, then the connection closes.
        var owing = Self.machine(body: .length(10))
        _ = owing.responseHead(untilClose: false, at: Self.at(1))
        #expect(owing.responseEnded(dynoReusable: true, at: Self.at(1)) == .init(releaseDyno: false, then: .discarding))
        let closesOwingBody = owing.quiesce(buffered: 0)
        #expect(!closesOwingBody)
        #expect(owing.takeBody(Self.bytes(4).span) == .take(4))
        #expect(owing.takeBody(Self.bytes(9).span) == .takeThenClose(6))
    }

    // MARK: - The client closing

    @Test func aClientGoneMidExchangeIsLoggedAsH27() {
        var routing = Self.machine(connected: false)
        #expect(routing.clientClosed() == .abandon(.clientInterrupted))
        #expect(routing.phase == .closed)
        var forwarding = Self.machine()
        #expect(forwarding.clientClosed() == .abandon(.clientInterrupted))
        var tunnel = Self.machine(upgrade: true)
        _ = tunnel.switchedProtocols(at: Self.at(1))
        #expect(tunnel.clientClosed() == .closeTunnel)
        var idle = Self.machine()
        _ = idle.responseHead(untilClose: false, at: Self.at(1))
        _ = idle.responseEnded(dynoReusable: true, at: Self.at(1))
        #expect(idle.clientClosed() == .nothing)
        #expect(idle.clientClosed() == .nothing)
    }

    // MARK: - Routing

    @Test func theRouteTablesAnswersBecomeErrorsWaitsOrDynos() {
        let machine = Self.machine(connected: false)
        let appID = UUID()
        let backend = Backend(id: UUID(), dyno: "web.1", host: "127.0.0.1", port: 5000)
        #expect(machine.routed(.unknownHost) == .fail(.noSuchApp))
        #expect(machine.routed(.noWebDynos(app: "a", appID: appID)) == .fail(.noWebDynos))
        #expect(machine.routed(.crashed(app: "a", appID: appID)) == .fail(.appCrashed))
        #expect(machine.routed(.maintenance(app: "a", appID: appID)) == .fail(.maintenance))
        #expect(machine.routed(.starting(app: "a", appID: appID)) == .waitForBoot)
        #expect(machine.routed(.backends(app: "a", appID: appID, [])) == .fail(.noWebDynos))
        #expect(machine.routed(.backends(app: "a", appID: appID, [backend])) == .connect(appID: appID, [backend]))
    }

    @Test func aBootingAppIsWaitedForFromTheFirstLookThenH20() {
        var machine = Self.machine(connected: false)
        let waits = machine.appStarting(at: Self.at(1), bootWait: .seconds(75))
        #expect(waits)
        let stillWaits = machine.appStarting(at: Self.at(75, milliseconds: 999), bootWait: .seconds(75))
        #expect(stillWaits)
        let waitsAfterTheDeadline = machine.appStarting(at: Self.at(76), bootWait: .seconds(75))
        #expect(!waitsAfterTheDeadline)
        // The next request waits afresh.
        machine.headParsed(keepAlive: true, wantsUpgrade: false, body: .none, at: Self.at(80))
        let nextRequestWaits = machine.appStarting(at: Self.at(100), bootWait: .seconds(75))
        #expect(nextRequestWaits)
    }

    @Test func eachDynoIsTriedOnceThenTheLastErrorIsTheAnswer() {
        var machine = Self.machine(connected: false)
        #expect(machine.nextCandidate(of: 2, lastError: .connectionRefused) == .attempt(0))
        #expect(machine.nextCandidate(of: 2, lastError: .connectTimeout) == .attempt(1))
        #expect(machine.nextCandidate(of: 2, lastError: .connectTimeout) == .fail(.connectTimeout))
    }
}
