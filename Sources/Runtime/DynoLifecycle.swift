import Foundation
package import OpenrukoCore

/// The life of one dyno slot (`web.1`) as a pure state machine: events in, effects out; no
/// processes, clocks or sockets. The driver (`DynoDriver`) performs the effects and feeds
/// back what happened.
///
/// starting → up (a web dyno when its `$PORT` accepts a connection, within the boot timeout,
/// else R10 and a crash; others at once) → crashed (any exit, 0 too) → starting again after
/// the back-off; stop = SIGTERM to the whole sandbox, then SIGKILL with R12 after the grace
/// period. One-off dynos (the release phase) never restart.
///
/// ```swift
/// var machine = DynoLifecycle(
///     kind: .web, command: "bin/web", bootTimeout: .seconds(60), stopGrace: .seconds(30),
///     backoff: RestartBackoff(caps: [.seconds(1), .seconds(20)], jittered: true))
/// machine.handle(.start, at: now)   // [.log("Starting process with command `bin/web`"), .launch, …]
/// ```
package struct DynoLifecycle: Sendable, Hashable {
    /// How a dyno counts as up and whether it comes back.
    package enum Kind: Sendable, Hashable {
        /// Up when `$PORT` accepts a connection.
        case web
        /// Up as soon as it runs.
        case worker
        /// Up as soon as it runs; never restarted (release phase, `run`).
        case oneOff
    }

    /// Where the slot is.
    package enum Phase: Sendable, Hashable {
        /// Created, not started yet.
        case created
        case starting
        case up
        /// Exited; waiting for the back-off (or for good, for one-off dynos).
        case crashed
        /// SIGTERM sent; waiting for the processes to exit.
        case stopping
        /// Stopped on request, or a one-off dyno that finished.
        case down
        /// A one-off dyno that exited 0.
        case complete
    }

    /// Something that happened to the slot.
    package enum Event: Sendable, Hashable {
        /// Start (or restart) the process now.
        case start
        /// The web dyno's port accepted a connection.
        case portAccepted
        /// The boot timer fired.
        case bootTimedOut
        /// The sandbox ended. `jitter` (0…1) is drawn by the driver for the back-off.
        case exited(SandboxExit, jitter: Double)
        /// The back-off timer fired.
        case restartDue
        /// Stop the dyno (scale down, restart, new release, shutdown).
        case stop
        /// The grace timer fired while stopping.
        case graceExpired
        /// Forget earlier crashes (new release, restart, scale); a waiting crashed dyno starts now.
        case resetBackoff
    }

    /// The timers a slot uses.
    package enum Timer: Sendable, Hashable {
        case boot, restart, grace
    }

    /// What the driver must do, in order.
    package enum Effect: Sendable, Hashable {
        /// Write `heroku[DYNO]: message`.
        case log(String)
        /// Prepare a fresh `/app` and start the command in the sandbox.
        case launch
        /// Poll `$PORT` until it accepts a connection, then send `.portAccepted`.
        case watchPort
        case schedule(Timer, after: Duration)
        case cancel(Timer)
        /// Signal every process of the sandbox.
        case signal(DynoSignal)
        /// The state others see changed (`ps`, the route table).
        case changed(Dyno.State)
        /// The slot is done for good: release its port and forget it.
        case finished
    }

    package let kind: Kind
    package let command: String
    package let bootTimeout: Duration
    package let stopGrace: Duration
    package let backoff: RestartBackoff
    /// A dyno up at least this long before it crashes counts as having started correctly:
    /// its crash count starts again from 1.
    package let stableAfter: Duration

    package private(set) var phase: Phase = .created
    /// Consecutive crashes (the back-off step).
    package private(set) var crashes = 0
    /// The phase the slot was stopped from (for the `State changed from … to down` line).
    private var stoppedFrom: Phase = .up
    private var upSince: ContinuousClock.Instant?
    private var killedForBoot = false

    package init(
        kind: Kind, command: String, bootTimeout: Duration, stopGrace: Duration, backoff: RestartBackoff,
        stableAfter: Duration = .seconds(600)
    ) {
        self.kind = kind
        self.command = command
        self.bootTimeout = bootTimeout
        self.stopGrace = stopGrace
        self.backoff = backoff
        self.stableAfter = stableAfter
    }

    /// The state `ps` shows.
    package var state: Dyno.State {
        switch phase {
        case .created, .starting: .starting
        case .up, .stopping: .up
        case .crashed: .crashed
        case .down, .complete: .down
        }
    }

    /// Whether the slot has ended for good.
    package var isFinished: Bool { phase == .down || phase == .complete || (kind == .oneOff && phase == .crashed) }

    /// Applies `event` at `now` and returns the effects to perform, in order.
    package mutating func handle(_ event: Event, at now: ContinuousClock.Instant) -> [Effect] {
        switch (event, phase) {
        case (.start, .created):
            return begin(at: now, from: nil)
        case (.start, .crashed) where kind != .oneOff, (.restartDue, .crashed) where kind != .oneOff:
            return [.cancel(.restart)] + begin(at: now, from: .crashed)
        case (.portAccepted, .starting):
            return becomeUp(at: now) + [.cancel(.boot)]
        case (.bootTimedOut, .starting) where !killedForBoot:
            killedForBoot = true
            return [
                .log("Error R10 (Boot timeout) -> Web process failed to bind to $PORT within \(Self.seconds(bootTimeout)) of launch"),
                .log("Stopping process with SIGKILL"), .signal(.kill),
            ]
        case (.exited(let exit, let jitter), .starting), (.exited(let exit, let jitter), .up):
            return crash(exit, jitter: jitter, at: now)
        case (.exited(let exit, _), .stopping):
            phase = .down
            return [
                .cancel(.grace), .log("Process exited with status \(exit.status)"), .log("State changed from \(name(stoppedFrom)) to down"),
                .changed(.down), .finished,
            ]
        case (.stop, .starting), (.stop, .up):
            stoppedFrom = phase
            phase = .stopping
            return [.cancel(.boot), .log("Stopping all processes with SIGTERM"), .signal(.term), .schedule(.grace, after: stopGrace)]
        case (.stop, .crashed), (.stop, .created):
            let from = phase
            phase = .down
            return [.cancel(.restart)] + (from == .crashed ? [.log("State changed from crashed to down")] : []) + [
                .changed(.down), .finished,
            ]
        case (.graceExpired, .stopping):
            return [
                .log("Error R12 (Exit timeout) -> At least one process failed to exit within \(Self.seconds(stopGrace)) of SIGTERM"),
                .log("Stopping remaining processes with SIGKILL"), .signal(.kill),
            ]
        case (.resetBackoff, _):
            crashes = 0
            guard phase == .crashed, kind != .oneOff else { return [] }
            return [.cancel(.restart)] + begin(at: now, from: .crashed)
        default:
            return []
        }
    }

    private mutating func begin(at now: ContinuousClock.Instant, from previous: Phase?) -> [Effect] {
        phase = .starting
        killedForBoot = false
        upSince = nil
        var effects: [Effect] = []
        if let previous { effects.append(.log("State changed from \(name(previous)) to starting")) }
        effects += [.changed(.starting), .log("Starting process with command `\(command)`"), .launch]
        if kind == .web {
            effects += [.watchPort, .schedule(.boot, after: bootTimeout)]
        } else {
            effects += becomeUp(at: now)
        }
        return effects
    }

    private mutating func becomeUp(at now: ContinuousClock.Instant) -> [Effect] {
        phase = .up
        upSince = now
        return [.log("State changed from starting to up"), .changed(.up)]
    }

    private mutating func crash(_ exit: SandboxExit, jitter: Double, at now: ContinuousClock.Instant) -> [Effect] {
        let from = phase
        var effects: [Effect] = [.cancel(.boot), .log("Process exited with status \(exit.status)")]
        if kind == .oneOff {
            phase = exit.status == 0 ? .complete : .crashed
            return effects + [.log("State changed from \(name(from)) to \(name(phase))"), .changed(state), .finished]
        }
        if let upSince, now - upSince >= stableAfter { crashes = 0 }
        crashes += 1
        phase = .crashed
        effects += [.log("State changed from \(name(from)) to crashed"), .changed(.crashed)]
        let wait = backoff.delay(afterCrash: crashes, jitter: jitter)
        if wait == .zero {
            return effects + begin(at: now, from: .crashed)
        }
        return effects + [.schedule(.restart, after: wait)]
    }

    private func name(_ phase: Phase) -> String {
        switch phase {
        case .created, .starting: "starting"
        case .up, .stopping: "up"
        case .crashed: "crashed"
        case .down: "down"
        case .complete: "complete"
        }
    }

    /// `60 seconds`.
    static func seconds(_ duration: Duration) -> String {
        let total = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        let rounded = total.rounded() == total ? String(Int(total)) : String(format: "%.1f", total)
        return rounded == "1" ? "1 second" : "\(rounded) seconds"
    }
}

/// The signals the runtime sends to a sandbox.
package enum DynoSignal: Sendable, Hashable {
    case term, kill
}

/// How a dyno's sandbox ended, as Heroku reports it (`Process exited with status 143`).
package struct SandboxExit: Sendable, Hashable {
    /// The exit status; 128 + N for a process killed by signal N.
    package var status: Int32

    package init(status: Int32) { self.status = status }
}
