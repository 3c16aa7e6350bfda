package import Foundation
package import OpenrukoCore
import Isolation

/// Runs one dyno slot: feeds `DynoLifecycle` what happens and performs what it decides
/// (launching the sandbox, watching `$PORT`, timers, signals, log lines). Every line the
/// dyno prints goes to the log as `app[web.1]`, every platform event as `heroku[web.1]`.
///
/// ```swift
/// let driver = DynoDriver(spec: spec, port: port, host: host) { status in routes.update(status) }
/// await driver.start()
/// let outcome = await driver.settled()   // .up, or .failed(last lines)
/// ```
package actor DynoDriver {
    /// How a starting dyno turned out.
    package enum Outcome: Sendable, Hashable {
        case up
        /// It crashed (or hit R10) before it was up, or finished; its last output lines.
        case failed([String])
    }

    package nonisolated let spec: DynoSpec
    package nonisolated let port: Int
    let host: DynoHost
    private let onChange: @Sendable (DynoStatus) -> Void
    private var machine: DynoLifecycle
    var instance = UUID()
    var pid: Int32?
    private var pendingSignal: DynoSignal?
    private var timers: [DynoLifecycle.Timer: Task<Void, Never>] = [:]
    private var watcher: Task<Void, Never>?
    private var resender: Task<Void, Never>?
    var memoryWatcher: Task<Void, Never>?
    /// The running instance's cgroup (`run:inside` joins it).
    var cgroup: ProcessCgroup?
    /// The instance whose R15 was reported.
    var reportedR15: UUID?
    private var status: DynoStatus
    private var settleWaiters: [CheckedContinuation<Outcome, Never>] = []
    private var finishWaiters: [CheckedContinuation<Void, Never>] = []
    private var finished = false
    /// The slot's network namespace (every instance of the slot runs in it), once leased.
    private var lease: NetworkLease?
    /// Deleting the namespace once the slot has ended (`stop()` waits for it).
    private var releasing: Task<Void, Never>?
    private let tail: OutputTail
    private nonisolated let initialStatus: DynoStatus
    /// An attached one-off's client terminal (its output goes there, not to the log).
    private nonisolated let attachment: DynoAttachment?

    /// - Parameters:
    ///   - echo: also receives every line the dyno prints (the release phase's caller).
    ///   - attachment: an attached one-off's terminal.
    ///   - onChange: called on every state change (from the driver's executor; keep it short).
    package init(
        spec: DynoSpec, port: Int, host: DynoHost, echo: (@Sendable (String) -> Void)? = nil, attachment: DynoAttachment? = nil,
        onChange: @escaping @Sendable (DynoStatus) -> Void
    ) {
        self.attachment = attachment
        self.spec = spec
        self.port = port
        self.host = host
        self.onChange = onChange
        machine = DynoLifecycle(
            kind: spec.kind, command: spec.command, bootTimeout: host.settings.bootTimeout, stopGrace: host.settings.stopGrace,
            backoff: host.settings.backoff, stableAfter: host.settings.stableAfter)
        let now = Date()
        status = DynoStatus(spec: spec, slot: UUID(), instance: instance, port: port, state: .starting, createdAt: now, updatedAt: now)
        initialStatus = status
        let logs = host.logs
        let appID = spec.app.id
        let name = spec.name
        tail = OutputTail(limit: 30) { line in
            logs.emit(LogLine(appID: appID, source: "app", process: name, message: line))
            echo?(line)
        }
    }

    /// Starts the dyno.
    package func start() { send(.start) }

    /// Stops the dyno (SIGTERM, then SIGKILL after the grace period) and waits until it is down.
    package func stop() async {
        send(.stop)
        await finish()
        await releasing?.value
    }

    /// Forgets earlier crashes; a crashed dyno waiting for its back-off starts now.
    package func resetBackoff() { send(.resetBackoff) }

    /// Waits until the dyno is up, or has failed before being up.
    package func settled() async -> Outcome {
        if let outcome = settledOutcome { return outcome }
        return await withCheckedContinuation { settleWaiters.append($0) }
    }

    /// Waits until the slot has ended for good.
    package func finish() async {
        if finished { return }
        await withCheckedContinuation { finishWaiters.append($0) }
    }

    /// What the dyno looks like now.
    package var current: DynoStatus { status }

    /// The slot's identity (stable across restarts).
    package nonisolated var slot: UUID { initialStatus.slot }

    /// Whether a one-off dyno exited 0.
    package var completed: Bool { machine.phase == .complete }

    /// The last lines it printed.
    package nonisolated var lastLines: [String] { tail.lines }

    /// The first outcome since the dyno started: up, or a crash (or stop) before that.
    private var settledOutcome: Outcome?

    // MARK: Effects

    private func send(_ event: DynoLifecycle.Event, from origin: UUID? = nil) {
        if let origin, origin != instance { return }
        let effects = machine.handle(event, at: .now)
        for effect in effects { perform(effect) }
    }

    private func settle(_ outcome: Outcome) {
        guard settledOutcome == nil else { return }
        settledOutcome = outcome
        settleWaiters.forEach { $0.resume(returning: outcome) }
        settleWaiters.removeAll()
    }

    private func perform(_ effect: DynoLifecycle.Effect) {
        switch effect {
        case .log(let message):
            host.logs.emit(LogLine(appID: spec.app.id, source: "heroku", process: spec.name, message: message))
        case .launch:
            launch()
        case .watchPort:
            watchPort()
        case .schedule(let timer, let delay):
            timers[timer]?.cancel()
            let origin = instance
            timers[timer] = Task { [weak self] in
                try? await Task.sleep(for: delay)
                guard !Task.isCancelled else { return }
                await self?.fire(timer, origin: origin)
            }
        case .cancel(let timer):
            timers.removeValue(forKey: timer)?.cancel()
        case .signal(let signal):
            deliver(signal)
        case .changed(let state):
            status.state = state
            status.updatedAt = Date()
            onChange(status)
            switch state {
            case .up: settle(.up)
            case .crashed, .down: settle(.failed(tail.lines))
            case .starting, .idle: break
            }
        case .finished:
            finished = true
            watcher?.cancel()
            timers.values.forEach { $0.cancel() }
            timers.removeAll()
            host.ports.release(port)
            if let lease, let network = host.sandbox.network {
                self.lease = nil
                releasing = Task { await network.release(lease) }
            }
            settle(.failed(tail.lines))
            finishWaiters.forEach { $0.resume() }
            finishWaiters.removeAll()
        }
    }

    private func fire(_ timer: DynoLifecycle.Timer, origin: UUID) {
        timers[timer] = nil
        switch timer {
        case .boot: send(.bootTimedOut, from: origin)
        case .restart: send(.restartDue)
        case .grace: send(.graceExpired, from: origin)
        }
    }

    private func deliver(_ signal: DynoSignal) {
        guard let pid else {
            pendingSignal = signal
            return
        }
        switch signal {
        case .term:
            Sandbox.signal(pid, SIGTERM)
            // A process that starts meanwhile (the sandbox was still starting its command, or
            // the app forks) gets it too: Heroku's processes may receive SIGTERM more than once.
            let origin = instance
            resender?.cancel()
            resender = Task {
                while !Task.isCancelled {
                    try? await Task.sleep(for: .milliseconds(250))
                    guard !Task.isCancelled, self.machine.phase == .stopping, self.instance == origin, let pid = self.pid else { return }
                    Sandbox.signal(pid, SIGTERM)
                }
            }
        case .kill:
            resender?.cancel()
            Sandbox.killAll(pid)
        }
    }

    private func started(_ pid: Int32, origin: UUID, cgroup: ProcessCgroup?) {
        guard origin == instance else { return }
        self.pid = pid
        self.cgroup = cgroup
        if let cgroup { watchMemory(cgroup, origin: origin) }
        if let signal = pendingSignal {
            pendingSignal = nil
            deliver(signal)
        }
    }

    private func exited(_ status: Int32, origin: UUID) {
        guard origin == instance else { return }
        resender?.cancel()
        memoryWatcher?.cancel()
        pid = nil
        cgroup = nil
        pendingSignal = nil
        tail.flush()
        send(.exited(SandboxExit(status: status), jitter: Double.random(in: 0...1)), from: origin)
    }

    /// Prepares a fresh `/app` and runs the command in the sandbox as a new instance.
    private func launch() {
        instance = UUID()
        status.instance = instance
        pid = nil
        let origin = instance
        let spec = spec
        let host = host
        let port = port
        let tail = tail
        let attachment = attachment
        Task {
            let namespace: String?
            do {
                namespace = try await self.networkNamespace()
            } catch {
                host.logs.emit(LogLine(appID: spec.app.id, source: "heroku", process: spec.name, message: "Error: \((error as? OpenrukoError)?.message ?? "\(error)")"))
                attachment?.finish(status: 1)
                self.exited(1, origin: origin)
                return
            }
            // The instance's cgroup: its size's memory, process and CPU limits (openruko as root).
            let size = DynoSize.named(spec.size)
            let cgroup = ProcessCgroup.create(name: "openruko-dyno-\(origin.uuidString.lowercased())", limits: size.limits)
            let code = await Self.run(
                spec: spec, instance: origin, port: port, namespace: namespace, cgroup: cgroup, host: host, tail: tail,
                attachment: attachment
            ) { pid in
                Task { await self.started(pid, origin: origin, cgroup: cgroup) }
            } aborted: {
                await self.isAborted(origin)
            }
            // The kernel may have stopped it at the hard limit before a sample saw it.
            if let cgroup, cgroup.oomKills > 0 {
                self.report(.vastlyExceeded(megabytes: size.limits.memoryBytes >> 20, percent: Double(size.hardLimitFactor * 100)), origin: origin)
            }
            await cgroup?.removeWhenEmpty()
            attachment?.finish(status: code)
            self.exited(code, origin: origin)
        }
    }

    /// The slot's namespace, leased at its first launch (nil when dynos share the host's
    /// network); the router reaches the dyno at its address from then on.
    private func networkNamespace() async throws(OpenrukoError) -> String? {
        guard let network = host.sandbox.network, !finished else { return nil }
        if lease == nil {
            let new = try await network.lease()
            guard !finished else {
                await network.release(new)
                return nil
            }
            lease = new
            status.address = new.address
        }
        return lease?.path
    }

    private func isAborted(_ origin: UUID) -> Bool {
        origin != instance || pendingSignal != nil
    }

    private func watchPort() {
        watcher?.cancel()
        let origin = instance
        let port = port
        watcher = Task { [weak self] in
            while !Task.isCancelled {
                // The listener must be the dyno's own: another process may hold the port. The
                // address is known once the first launch has its namespace.
                guard let address = await self?.status.address else { return }
                if await PortAllocator.accepts(port, host: address), let pid = await self?.pid, Sandbox.listens(pid, port: port) {
                    await self?.send(.portAccepted, from: origin)
                    return
                }
                try? await Task.sleep(for: .milliseconds(20))
            }
        }
    }
}
