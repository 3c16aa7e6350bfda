import OpenrukoCore

/// How a container build runs a Dockerfile's `RUN` steps. Pure: it decides, `BuildahBuilder`
/// carries it out.
enum RunIsolation: Sendable, Hashable {
    /// openruko is not root: buildah's chroot isolation, as the user openruko runs as (rootless
    /// buildah's own user namespace), in the one store of `DATA_DIR/containers/storage`.
    case rootless
    /// openruko is root: runc in a user namespace of the app's own ids (`ContainerIdentity`),
    /// with new PID, IPC, UTS and mount namespaces, the build's network namespace (`network`,
    /// nil: the host's, when `OPENRUKO_DYNO_NETWORK=host`) and an empty `/sys`.
    case mapped(ContainerIdentity, network: String?)

    /// The runtime `RUN` steps use as root (crun fails on cgroup v1 hybrid hosts).
    static let runtime = "/usr/sbin/runc"

    /// The isolation of a build of app uid `appUID`.
    /// - Throws: `OpenrukoError.unavailable` when openruko is root but the app has no uid of
    ///   its own (its `RUN` steps would have nobody to be but root).
    static func of(appUID: UInt32?, isRoot: Bool, network: String?) throws(OpenrukoError) -> RunIsolation {
        guard isRoot else { return .rootless }
        guard let appUID, appUID >= 1000 else {
            throw OpenrukoError(
                .unavailable, "This app has no uid of its own, which container builds need to run its RUN steps unprivileged. Destroy and recreate the app, or use a buildpack.")
        }
        return .mapped(ContainerIdentity(appUID: appUID), network: network)
    }

    /// `buildah bud`'s isolation options. `sys` is an empty read-only tree (`fs/cgroup` only)
    /// that stands in for `/sys`: the kernel refuses a user namespace's root a sysfs of a
    /// network namespace it does not own, and the host's would show its devices. It covers
    /// `/sys/fs/cgroup` too, where runc would bind the build's cgroups from a path (below the
    /// git hook's own cgroup) that the build's root cannot search; the `RUN` steps still run in
    /// that cgroup, under the build's limits.
    func budArguments(sys: String) -> [String] {
        switch self {
        case .rootless:
            return ["--isolation", "chroot"]
        case .mapped(_, let network):
            return [
                "--isolation", "oci", "--runtime", Self.runtime, "--network", network.map { "ns:" + $0 } ?? "host",
                "--volume", sys + ":/sys:ro", "--volume", sys + "/fs/cgroup:/sys/fs/cgroup:ro",
            ]
        }
    }

    /// The directories of the stand-in `/sys`, relative to it.
    static let sysDirectories = ["fs", "fs/cgroup"]
}
