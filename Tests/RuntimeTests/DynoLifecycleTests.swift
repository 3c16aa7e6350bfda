import OpenrukoCore
import Runtime
import Testing

/// The dyno state machine alone: events in, effects out, no processes or clocks.
@Suite(.timeLimit(.minutes(15))) struct DynoLifecycleTests {
    let backoff = RestartBackoff(caps: [.zero, .seconds(20), .seconds(40)], jittered: false)
    let start = ContinuousClock.now

    func machine(_ kind: DynoLifecycle.Kind) -> DynoLifecycle {
        DynoLifecycle(
            kind: kind, command: "bin/web", bootTimeout: .seconds(60), stopGrace: .seconds(30), backoff: backoff,
            stableAfter: .seconds(600))
    }

    func logs(_ effects: [DynoLifecycle.Effect]) -> [String] {
        effects.compactMap { if case .log(let line) = $0 { line } else { nil } }
    }

    @Test func aWebDynoIsUpWhenItsPortAcceptsAConnection() {
        var dyno = machine(.web)
        let started = dyno.handle(.start, at: start)
        #expect(started == [
            .changed(.starting), .log("Starting process with command `bin/web`"), .launch, .watchPort,
            .schedule(.boot, after: .seconds(60)),
        ])
        #expect(dyno.state == .starting)
        let up = dyno.handle(.portAccepted, at: start + .seconds(2))
        #expect(up == [.log("State changed from starting to up"), .changed(.up), .cancel(.boot)])
        #expect(dyno.state == .up)
    }

    @Test func workersAreUpAtOnce() {
        var dyno = machine(.worker)
        let effects = dyno.handle(.start, at: start)
        #expect(!effects.contains(.watchPort))
        #expect(logs(effects) == ["Starting process with command `bin/web`", "State changed from starting to up"])
        #expect(dyno.state == .up)
    }

    @Test func aWebDynoThatNeverBindsIsKilledAsR10AndCrashes() {
        var dyno = machine(.web)
        _ = dyno.handle(.start, at: start)
        let timeout = dyno.handle(.bootTimedOut, at: start + .seconds(60))
        #expect(logs(timeout) == [
            "Error R10 (Boot timeout) -> Web process failed to bind to $PORT within 60 seconds of launch", "Stopping process with SIGKILL",
        ])
        #expect(timeout.contains(.signal(.kill)))
        let exit = dyno.handle(.exited(SandboxExit(status: 137), jitter: 0), at: start + .seconds(61))
        #expect(logs(exit).prefix(2) == ["Process exited with status 137", "State changed from starting to crashed"])
        #expect(dyno.crashes == 1)
    }

    @Test func exitZeroIsACrashAndRestartsFollowTheBackoff() {
        var dyno = machine(.worker)
        _ = dyno.handle(.start, at: start)
        // First crash: restarted at once.
        let first = dyno.handle(.exited(SandboxExit(status: 0), jitter: 0.5), at: start + .seconds(1))
        #expect(logs(first) == [
            "Process exited with status 0", "State changed from up to crashed", "State changed from crashed to starting",
            "Starting process with command `bin/web`", "State changed from starting to up",
        ])
        #expect(first.contains(.launch))
        // Second: waits 20 s; third: 40 s; later ones repeat the last step.
        let second = dyno.handle(.exited(SandboxExit(status: 1), jitter: 0.5), at: start + .seconds(2))
        #expect(second.last == .schedule(.restart, after: .seconds(20)))
        #expect(dyno.state == .crashed)
        #expect(!second.contains(.launch))
        let restarted = dyno.handle(.restartDue, at: start + .seconds(22))
        #expect(restarted.contains(.launch))
        #expect(logs(restarted).first == "State changed from crashed to starting")
        let third = dyno.handle(.exited(SandboxExit(status: 1), jitter: 0.5), at: start + .seconds(23))
        #expect(third.last == .schedule(.restart, after: .seconds(40)))
        _ = dyno.handle(.restartDue, at: start + .seconds(63))
        let fourth = dyno.handle(.exited(SandboxExit(status: 1), jitter: 0.5), at: start + .seconds(64))
        #expect(fourth.last == .schedule(.restart, after: .seconds(40)))
        #expect(dyno.crashes == 4)
    }

    @Test func aResetForgetsCrashesAndStartsAWaitingDyno() {
        var dyno = machine(.worker)
        _ = dyno.handle(.start, at: start)
        _ = dyno.handle(.exited(SandboxExit(status: 1), jitter: 0), at: start)
        _ = dyno.handle(.exited(SandboxExit(status: 1), jitter: 0), at: start)
        #expect(dyno.state == .crashed)
        let reset = dyno.handle(.resetBackoff, at: start + .seconds(1))
        #expect(reset.first == .cancel(.restart))
        #expect(reset.contains(.launch))
        #expect(dyno.crashes == 0)
        let next = dyno.handle(.exited(SandboxExit(status: 1), jitter: 0), at: start + .seconds(2))
        #expect(next.contains(.launch), "the first crash after a reset restarts at once")
    }

    @Test func aDynoThatRanLongEnoughStartsItsCountAgain() {
        var dyno = machine(.worker)
        _ = dyno.handle(.start, at: start)
        _ = dyno.handle(.exited(SandboxExit(status: 1), jitter: 0), at: start + .seconds(1))
        let late = dyno.handle(.exited(SandboxExit(status: 1), jitter: 0), at: start + .seconds(2000))
        #expect(late.contains(.launch))
        #expect(dyno.crashes == 1)
    }

    @Test func stopSendsSigtermThenSigkillWithR12AfterTheGrace() {
        var dyno = machine(.web)
        _ = dyno.handle(.start, at: start)
        _ = dyno.handle(.portAccepted, at: start)
        let stop = dyno.handle(.stop, at: start + .seconds(5))
        #expect(stop == [.cancel(.boot), .log("Stopping all processes with SIGTERM"), .signal(.term), .schedule(.grace, after: .seconds(30))])
        let grace = dyno.handle(.graceExpired, at: start + .seconds(35))
        #expect(logs(grace) == [
            "Error R12 (Exit timeout) -> At least one process failed to exit within 30 seconds of SIGTERM",
            "Stopping remaining processes with SIGKILL",
        ])
        #expect(grace.contains(.signal(.kill)))
        let exit = dyno.handle(.exited(SandboxExit(status: 137), jitter: 0), at: start + .seconds(35))
        #expect(logs(exit) == ["Process exited with status 137", "State changed from up to down"])
        #expect(exit.last == .finished)
        #expect(dyno.isFinished)
        #expect(dyno.handle(.restartDue, at: start + .seconds(40)).isEmpty, "a stopped dyno never comes back")
    }

    @Test func aProcessThatExitsOnSigtermNeedsNoSigkill() {
        var dyno = machine(.worker)
        _ = dyno.handle(.start, at: start)
        _ = dyno.handle(.stop, at: start)
        let exit = dyno.handle(.exited(SandboxExit(status: 143), jitter: 0), at: start + .seconds(1))
        #expect(exit.first == .cancel(.grace))
        #expect(dyno.handle(.graceExpired, at: start + .seconds(30)).isEmpty)
    }

    @Test func stoppingACrashedDynoCancelsItsRestart() {
        var dyno = machine(.worker)
        _ = dyno.handle(.start, at: start)
        _ = dyno.handle(.exited(SandboxExit(status: 1), jitter: 0), at: start)
        _ = dyno.handle(.exited(SandboxExit(status: 1), jitter: 0), at: start)
        let stop = dyno.handle(.stop, at: start)
        #expect(stop == [.cancel(.restart), .log("State changed from crashed to down"), .changed(.down), .finished])
    }

    @Test func oneOffDynosNeverRestart() {
        var ok = machine(.oneOff)
        _ = ok.handle(.start, at: start)
        let done = ok.handle(.exited(SandboxExit(status: 0), jitter: 0), at: start)
        #expect(logs(done) == ["Process exited with status 0", "State changed from up to complete"])
        #expect(done.last == .finished)
        #expect(ok.phase == .complete)

        var failing = machine(.oneOff)
        _ = failing.handle(.start, at: start)
        let crashed = failing.handle(.exited(SandboxExit(status: 3), jitter: 0), at: start)
        #expect(!crashed.contains(.launch))
        #expect(failing.isFinished)
        #expect(failing.handle(.resetBackoff, at: start).isEmpty)
    }

    @Test func lateEventsAreIgnored() {
        var dyno = machine(.web)
        _ = dyno.handle(.start, at: start)
        _ = dyno.handle(.portAccepted, at: start)
        #expect(dyno.handle(.bootTimedOut, at: start + .seconds(60)).isEmpty)
        #expect(dyno.handle(.portAccepted, at: start + .seconds(60)).isEmpty)
        #expect(dyno.handle(.graceExpired, at: start + .seconds(60)).isEmpty)
    }
}

@Suite(.timeLimit(.minutes(15))) struct RestartBackoffTests {
    @Test func herokusScheduleIsJitteredUnderItsCaps() {
        let backoff = RestartBackoff.heroku
        #expect(backoff.delay(afterCrash: 1, jitter: 0.7) == .zero)
        #expect(backoff.delay(afterCrash: 2, jitter: 1) == .seconds(1200))
        #expect(backoff.delay(afterCrash: 2, jitter: 0) == .seconds(600))
        #expect(backoff.delay(afterCrash: 6, jitter: 1) == .seconds(320 * 60))
        #expect(backoff.delay(afterCrash: 60, jitter: 1) == .seconds(320 * 60))
    }

    @Test func aScheduleParsesFromSeconds() throws {
        let backoff = try RestartBackoff(parsing: "0, 1, 2.5")
        #expect(backoff.caps == [.zero, .seconds(1), .milliseconds(2500)])
        #expect(backoff.delay(afterCrash: 3, jitter: 0) == .milliseconds(2500))
        #expect(backoff.delay(afterCrash: 9, jitter: 0) == .milliseconds(2500))
        #expect(throws: RuntimeSettingError.self) { try RestartBackoff(parsing: "0,soon") }
        #expect(throws: RuntimeSettingError.self) { try RestartBackoff(parsing: "-1") }
    }

    @Test func settingsComeFromTheEnvironment() throws {
        let settings = try RuntimeSettings.from(environment: [
            "OPENRUKO_BOOT_TIMEOUT": "3", "OPENRUKO_STOP_TIMEOUT": "0.5", "OPENRUKO_RESTART_BACKOFF": "0,1",
            "OPENRUKO_DYNO_PORTS": "40000-40010",
        ])
        #expect(settings.bootTimeout == .seconds(3))
        #expect(settings.stopGrace == .milliseconds(500))
        #expect(settings.ports == 40000...40010)
        #expect(try RuntimeSettings.from(environment: [:]) == RuntimeSettings())
        #expect(throws: RuntimeSettingError.self) { try RuntimeSettings.from(environment: ["OPENRUKO_DYNO_PORTS": "80-90"]) }
        #expect(throws: RuntimeSettingError.self) { try RuntimeSettings.from(environment: ["OPENRUKO_BOOT_TIMEOUT": "0"]) }
    }
}
