import Foundation
import OpenrukoCore
import Store

extension AppDynos {
    /// Restarts every dyno, one type or one dyno: new ones start (web: take the traffic once
    /// up, then the old ones drain and stop), with their back-off forgotten.
    func restart(target: String?) async throws(OpenrukoError) {
        let result: Result<Void, OpenrukoError> = await serial { me in
            do throws(OpenrukoError) {
                let chosen = try me.select(target)
                me.stopped.subtract(chosen.map(\.spec.name))
                let sizes = ((try? me.store.formation(appID: me.appID)) ?? []).reduce(into: [String: String]()) { $0[$1.type] = $1.size }
                await me.replace(chosen, sizes: sizes)
                if target == nil { await me.convergeNow() }
                return .success(())
            } catch {
                return .failure(error)
            }
        }
        try result.get()
    }

    /// Stops one type or one dyno until the next restart, scale or release.
    func stop(target: String) async throws(OpenrukoError) {
        let result: Result<Void, OpenrukoError> = await serial { me in
            do throws(OpenrukoError) {
                // One-off dynos end for good when stopped (their own task forgets them).
                let oneOffs = me.selectOneOffs(target)
                for driver in oneOffs { Task { await driver.stop() } }
                let chosen = oneOffs.isEmpty ? try me.select(target) : me.slots.values.filter { $0.spec.type == target }
                for driver in chosen {
                    me.stopped.insert(driver.spec.name)
                    me.slots[driver.spec.name] = nil
                }
                await me.retire(chosen, drainFirst: true)
                return .success(())
            } catch {
                return .failure(error)
            }
        }
        try result.get()
    }

    /// Starts `release`'s web dynos as candidates and waits until they are up or one failed.
    func prepare(_ release: Release, output: @escaping @Sendable (String) -> Void) async -> RolloutReadiness {
        await serial { me in await me.prepareNow(release, output: output) }
    }

    private func prepareNow(_ release: Release, output: @escaping @Sendable (String) -> Void) async -> RolloutReadiness {
        discardCandidates()
        guard let slugID = release.slugID else { return .ready }
        let app: App
        let slug: Slug
        let formation: [FormationEntry]
        do {
            guard let found = try store.app(appID.uuidString.lowercased()), let foundSlug = try store.slug(id: slugID) else {
                return .failed("The app or its slug is gone.", [])
            }
            (app, slug, formation) = (found, foundSlug, try store.formation(appID: appID))
        } catch {
            return .failed("Cannot read the app's formation (\(error.message)).", [])
        }
        let web = ProcessType.web.rawValue
        guard let command = slug.processTypes[web] else { return .ready }
        let entry = formation.first { $0.type == web }
        let quantity = entry?.quantity ?? 1
        guard quantity > 0 else { return .ready }
        output("       Starting \(quantity) web dyno\(quantity == 1 ? "" : "s") of v\(release.version)...")
        let drivers = await startSlots(
            app: app, release: release, slug: slug, type: web, indexes: Array(1...quantity), command: command,
            size: entry?.size ?? FormationEntry.defaultSize)
        var failure: (String, [String])?
        await withTaskGroup(of: (String, DynoDriver.Outcome).self) { group in
            for driver in drivers { group.addTask { (driver.spec.name, await driver.settled()) } }
            for await (name, outcome) in group {
                switch outcome {
                case .up: output("       \(name) is up")
                case .failed(let lines): if failure == nil { failure = ("\(name) crashed while booting.", lines) }
                }
            }
        }
        if drivers.count < quantity, failure == nil { failure = ("Could not start every web dyno.", []) }
        if let failure {
            for driver in drivers { Task { await driver.stop() } }
            return .failed(failure.0, failure.1)
        }
        candidates = (release.id, drivers)
        candidateExpiry = Task { [weak self] in
            try? await Task.sleep(for: .seconds(600))
            guard !Task.isCancelled else { return }
            await self?.discardCandidates()
        }
        return .ready
    }

    /// The slots a `ps:restart`/`ps:stop` target names: all (nil), a type, or a dyno.
    func select(_ target: String?) throws(OpenrukoError) -> [DynoDriver] {
        guard let target else { return Array(slots.values) }
        let chosen = target.contains(".") ? slots[target].map { [$0] } ?? [] : slots.values.filter { $0.spec.type == target }
        guard !chosen.isEmpty else {
            throw OpenrukoError(.notFound, "Couldn't find that process type or dyno (\(target)).", resource: "dyno")
        }
        return chosen
    }

    /// New instances for `drivers` (same release and names, the size `sizes` gives their type,
    /// else their own): web ones take over once up.
    func replace(_ drivers: [DynoDriver], sizes: [String: String] = [:]) async {
        let web = drivers.filter { $0.spec.type == ProcessType.web.rawValue }
        let others = drivers.filter { $0.spec.type != ProcessType.web.rawValue }
        var fresh: [DynoDriver] = []
        var replaced: [DynoDriver] = []
        for old in web {
            let spec = old.spec
            // A web dyno that cannot be replaced (no free port…) keeps serving; the log says why.
            let started = await startSlots(
                app: spec.app, release: spec.release, slug: spec.slug, type: spec.type, indexes: [spec.index],
                command: spec.command, size: sizes[spec.type] ?? spec.size)
            if !started.isEmpty { replaced.append(old) }
            fresh += started
        }
        await Self.settle(fresh)
        for driver in fresh { slots[driver.spec.name] = driver }
        if let app = fresh.first?.spec.app {
            var statuses: [DynoStatus] = []
            for driver in fresh { statuses.append(await driver.current) }
            routes.activate(app, statuses)
        }
        await retire(replaced, drainFirst: true)
        await retire(others, drainFirst: false)
        for old in others {
            slots[old.spec.name] = nil
            let spec = old.spec
            for driver in await startSlots(
                app: spec.app, release: spec.release, slug: spec.slug, type: spec.type, indexes: [spec.index],
                command: spec.command, size: sizes[spec.type] ?? spec.size)
            {
                slots[spec.name] = driver
            }
        }
    }
}
