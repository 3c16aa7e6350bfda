import Foundation
import OpenrukoCore
import Isolation

/// What `run:inside` needs of a running dyno: its sandbox, its cgroup and its environment.
extension DynoDriver {
    /// A running instance a process can join.
    struct InsideTarget: Sendable {
        /// The instance's bubblewrap.
        var bubblewrapPID: Int32
        var cgroupProcs: [String]
        var instance: UUID
    }

    /// The running instance when the dyno is up, else nil.
    func insideTarget() -> InsideTarget? {
        guard current.state == .up, let pid else { return nil }
        return InsideTarget(bubblewrapPID: pid, cgroupProcs: cgroup?.procsFiles ?? [], instance: instance)
    }

    /// The environment of instance `instance`'s process, as its launch built it: the config
    /// vars, the platform's variables and the one-off's own (`spec.env`), or the image's for a
    /// container dyno.
    nonisolated func variables(instance: UUID) -> [String: String] {
        let environment = DynoEnvironment(
            app: spec.app, release: spec.release, slug: spec.slug, dyno: spec.name, port: port, instance: instance)
        var variables: [String: String]
        if let image = spec.image {
            variables = environment.variables(image: image)
        } else {
            variables = environment.variables
            if variables["DYNO_RAM"] == nil { variables["DYNO_RAM"] = String(DynoSize.named(spec.size).quotaMB) }
        }
        let platform = environment.platform
        for (key, value) in spec.env where platform[key] == nil && key != "HOME" { variables[key] = value }
        return variables
    }
}
