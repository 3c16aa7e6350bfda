package import Foundation
package import OpenrukoCore
package import Store

/// One app's dynos: converges its current release × formation into running slots, one
/// operation at a time (rollouts, scaling, restarts, stops, release checks). Releases switch
/// without downtime: new web dynos start beside the old ones, traffic moves once they are up,
/// old web dynos are stopped after their in-flight requests finish; other types are replaced
/// after the web switch.
package actor AppDynos {
    package nonisolated let appID: UUID
    let host: DynoHost
    let store: PlatformStore
    let routes: RuntimeRoutes
    let drain: any TrafficDrain
    /// The release the slots run (nil before the first convergence).
    var releaseID: UUID?
    /// The slots in service, by name (`web.1`).
    var slots: [String: DynoDriver] = [:]
    /// Web dynos of a release that is not current yet, started and up, waiting to take over.
    var candidates: (releaseID: UUID, drivers: [DynoDriver])?
    var candidateExpiry: Task<Void, Never>?
    /// Dynos taken out of service that are still stopping.
    var retiring: [UUID: DynoDriver] = [:]
    /// Names stopped with `ps:stop`: not started again until a restart, scale or new release.
    var stopped: Set<String> = []
    /// One-off dynos (`run.N`) by name, each with the task that runs it to its end.
    var oneOffs: [String: (driver: DynoDriver, task: Task<Void, Never>)] = [:]
    /// One-off names taken by requests still being set up (they count against the limit).
    var oneOffsStarting: Set<String> = []
    /// Processes started inside running dynos (`run:inside`) that have not ended (they count
    /// against the one-off limit).
    var insides = 0
    private var queue: Task<Void, Never>?

    package init(appID: UUID, host: DynoHost, store: PlatformStore, routes: RuntimeRoutes, drain: any TrafficDrain) {
        self.appID = appID
        self.host = host
        self.store = store
        self.routes = routes
        self.drain = drain
    }

    /// Runs `job` after every job queued before it.
    func serial<T: Sendable>(_ job: @escaping @Sendable (isolated AppDynos) async -> T) async -> T {
        let previous = queue
        let task = Task { [self] in
            await previous?.value
            return await job(self)
        }
        queue = Task { _ = await task.value }
        return await task.value
    }

    // MARK: Operations

    /// Makes the running dynos match the app's current release and formation.
    package func converge() async {
        await serial { me in await me.convergeNow() }
    }

    /// The app's dynos in service, by name.
    package func dynos() async -> [Dyno] {
        var list: [Dyno] = []
        for driver in slots.values { list.append(await driver.current.dyno) }
        for (driver, _) in oneOffs.values { list.append(await driver.current.dyno) }
        return list.sorted { ($0.type, $0.name.count, $0.name) < ($1.type, $1.name.count, $1.name) }
    }

    /// Stops every dyno (daemon shutdown, app destroyed) and waits until all are down.
    package func stopAll() async {
        await serial { me in
            let all = Array(me.slots.values) + (me.candidates?.drivers ?? []) + Array(me.retiring.values)
            me.slots.removeAll()
            me.discardCandidates()
            me.releaseID = nil
            me.routes.deactivate(me.appID, all.map(\.slot))
            let oneOffs = Array(me.oneOffs.values)
            await withTaskGroup(of: Void.self) { group in
                for driver in all + oneOffs.map(\.driver) { group.addTask { await driver.stop() } }
                for (_, task) in oneOffs { group.addTask { await task.value } }
            }
        }
    }

    func convergeNow() async {
        guard let app = try? store.app(appID.uuidString.lowercased()) else {
            await retire(Array(slots.values), drainFirst: false)
            slots.removeAll()
            return
        }
        guard let release = try? store.currentRelease(appID: appID), let slugID = release.slugID,
            let slug = try? store.slug(id: slugID)
        else {
            routes.setWebWanted(app, false)
            await retire(Array(slots.values), drainFirst: true)
            slots.removeAll()
            releaseID = nil
            return
        }
        let wanted = Self.wanted(formation: (try? store.formation(appID: appID)) ?? [], slug: slug)
        routes.setWebWanted(app, (wanted[ProcessType.web.rawValue]?.quantity ?? 0) > 0)
        if releaseID != release.id {
            await rollout(app: app, release: release, slug: slug, wanted: wanted)
        } else {
            await scale(app: app, release: release, slug: slug, wanted: wanted)
        }
    }

    /// What should run: type → (quantity, command, size), from the formation and the slug.
    static func wanted(formation: [FormationEntry], slug: Slug) -> [String: (quantity: Int, command: String, size: String)] {
        var result: [String: (quantity: Int, command: String, size: String)] = [:]
        for entry in formation where entry.type != ProcessType.release.rawValue {
            guard let command = slug.processTypes[entry.type] ?? (entry.command.isEmpty ? nil : entry.command) else { continue }
            result[entry.type] = (entry.quantity, command, entry.size)
        }
        return result
    }

    // MARK: Building blocks

    /// A new slot (not started).
    func makeDriver(
        app: App, release: Release, slug: Slug, type: String, index: Int, command: String, size: String
    ) async throws(OpenrukoError) -> DynoDriver {
        guard let port = await host.ports.allocate() else {
            throw OpenrukoError(.unavailable, "No free port is left for a dyno (OPENRUKO_DYNO_PORTS).")
        }
        let spec = DynoSpec(
            app: app, release: release, slug: slug, type: type, name: "\(type).\(index)", command: command, size: size,
            kind: type == ProcessType.web.rawValue ? .web : .worker)
        let routes = routes
        let appID = appID
        return DynoDriver(spec: spec, port: port, host: host) { status in routes.update(appID, status) }
    }

    /// Starts slots `indexes` of `type` and returns them.
    func startSlots(
        app: App, release: Release, slug: Slug, type: String, indexes: [Int], command: String, size: String
    ) async -> [DynoDriver] {
        var started: [DynoDriver] = []
        for index in indexes {
            do {
                let driver = try await makeDriver(
                    app: app, release: release, slug: slug, type: type, index: index, command: command, size: size)
                await driver.start()
                started.append(driver)
            } catch {
                host.logs.emit(LogLine(appID: appID, source: "heroku", process: "\(type).\(index)", message: "Error: \(error.message)"))
            }
        }
        return started
    }

    /// Takes drivers out of service: out of the route table at once, then (web) after their
    /// in-flight requests finish, stopped. Returns without waiting for them to stop.
    func retire(_ drivers: [DynoDriver], drainFirst: Bool) async {
        guard !drivers.isEmpty else { return }
        routes.deactivate(appID, drivers.map(\.slot))
        let drain = drain
        for driver in drivers {
            retiring[driver.slot] = driver
            let backend = await driver.current.backend
            let web = driver.spec.type == ProcessType.web.rawValue
            Task {
                if drainFirst && web { await drain.drain(backend, timeout: .seconds(30)) }
                await driver.stop()
                self.retired(driver.slot)
            }
        }
    }

    private func retired(_ slot: UUID) { retiring[slot] = nil }

    /// Stops the candidates of `releaseID`, if they are the ones waiting (a release that will
    /// never roll out: its push's hook died).
    func discardCandidates(of releaseID: UUID) {
        guard candidates?.releaseID == releaseID else { return }
        discardCandidates()
    }

    func discardCandidates() {
        candidateExpiry?.cancel()
        candidateExpiry = nil
        guard let drivers = candidates?.drivers else { return }
        candidates = nil
        for driver in drivers { Task { await driver.stop() } }
    }
}
