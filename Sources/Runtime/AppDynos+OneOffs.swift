import Foundation
import OpenrukoCore

/// One-off dynos (`heroku run`, `run:detached`): not part of the formation, never restarted,
/// at most `oneOffLimit` at once per app, each living at most `oneOffTTL`.
extension AppDynos {
    /// Starts a one-off dyno (see `RuntimeControl.runOneOff`) and returns it as `ps` shows it.
    /// - Throws: `invalid` over the app's limit, `unavailable` when no port is free.
    func runOneOff(app: App, release: Release, slug: Slug, plan: OneOffPlan, attachment: DynoAttachment?) async throws(OpenrukoError)
        -> Dyno
    {
        let limit = host.settings.oneOffLimit
        guard oneOffs.count + oneOffsStarting.count < limit else {
            throw OpenrukoError(
                .invalid,
                "Cannot run more than \(limit) one-off dyno\(limit == 1 ? "" : "s") at once on \(app.name). "
                    + "Stop one with ps:stop \(app.name) run.N.", resource: "dyno")
        }
        let name = Self.oneOffName(type: plan.type, taken: Set(oneOffs.keys).union(slots.keys).union(oneOffsStarting))
        oneOffsStarting.insert(name)
        defer { oneOffsStarting.remove(name) }
        var spec = DynoSpec(
            app: app, release: release, slug: slug, type: plan.type, name: name, command: plan.command, size: plan.size, kind: .oneOff)
        spec.env = plan.env
        let run = try await OneOffRun(spec: spec, host: host, attachment: attachment) { _ in }
        var ttl = host.settings.oneOffTTL
        if let asked = plan.timeToLive { ttl = min(ttl, .seconds(asked)) }
        let logs = host.logs
        let appID = appID
        let task = Task {
            await run.run(limit: ttl) {
                logs.emit(LogLine(appID: appID, source: "heroku", process: name, message: "Stopping: the one-off reached its time limit"))
            }
            await self.oneOffEnded(name, driver: run.driver)
        }
        oneOffs[name] = (run.driver, task)
        return await run.driver.current.dyno
    }

    private func oneOffEnded(_ name: String, driver: DynoDriver) {
        if oneOffs[name]?.driver === driver { oneOffs[name] = nil }
    }

    /// The one-offs a `ps:stop` target names: one by name, or all of a type (`run`).
    func selectOneOffs(_ target: String) -> [DynoDriver] {
        oneOffs.values.map(\.driver).filter { $0.spec.name == target || (!target.contains(".") && $0.spec.type == target) }
    }

    /// `run.1234`: a random free number, as Heroku names them.
    static func oneOffName(type: String, taken: Set<String>) -> String {
        while true {
            let name = "\(type).\(Int.random(in: 1000...9999))"
            if !taken.contains(name) { return name }
        }
    }
}

/// `run:inside`: processes started inside running dynos.
extension AppDynos {
    /// Starts `plan`'s command inside dyno `name` once `attachment`'s client connects (see
    /// `RuntimeControl.runInside`); returns the dyno as `ps` shows it.
    /// - Throws: `notFound` for no such dyno, `conflict` when it is not up, `invalid` over the
    ///   app's one-off limit.
    func runInside(name: String, plan: OneOffPlan, attachment: DynoAttachment) async throws(OpenrukoError) -> Dyno {
        guard let driver = slots[name] ?? oneOffs[name]?.driver else {
            throw OpenrukoError(.notFound, "Couldn't find that dyno (\(name)).", resource: "dyno")
        }
        guard let target = await driver.insideTarget() else {
            let state = await driver.current.state.rawValue
            throw OpenrukoError(.conflict, "\(name) is not up (it is \(state)): run:inside needs a running dyno.", resource: "dyno")
        }
        let limit = host.settings.oneOffLimit
        guard oneOffs.count + oneOffsStarting.count + insides < limit else {
            throw OpenrukoError(
                .invalid, "Cannot run more than \(limit) one-off process\(limit == 1 ? "" : "es") at once on \(driver.spec.app.name).",
                resource: "dyno")
        }
        insides += 1
        let inside = OneOffInside(driver: driver, target: target, host: host, attachment: attachment, command: plan.command, env: plan.env)
        var ttl = host.settings.oneOffTTL
        if let asked = plan.timeToLive { ttl = min(ttl, .seconds(asked)) }
        let limitTTL = ttl
        Task {
            await inside.run(limit: limitTTL)
            await self.insideEnded()
        }
        return await driver.current.dyno
    }

    private func insideEnded() { insides -= 1 }
}
