import OpenrukoCore

/// How a container build runs a Dockerfile's `RUN` steps: runc in a user namespace of the
/// app's own ids (`ContainerIdentity`), with new PID, IPC, UTS and mount namespaces, the
/// build's network namespace (`network`, nil: the host's, when `OPENRUKO_DYNO_NETWORK=host`)
/// and an empty `/sys`. Only root can: an openruko that is not root refuses container builds.
/// Pure: it decides, `BuildahBuilder` carries it out.
struct RunIsolation: Sendable, Hashable {
    var identity: ContainerIdentity
    var network: String?

    /// The runtime `RUN` steps use (crun fails on cgroup v1 hybrid hosts).
    static let runtime = "/usr/sbin/runc"

    /// The isolation of a build of app uid `appUID`.
    /// - Throws: `OpenrukoError.unavailable` when openruko is not root (rootless buildah would
    ///   run `RUN` steps on the host's network, and cannot export the image), or when the app has
    ///   no uid of its own (its `RUN` steps would have nobody to be but root).
    static func of(appUID: UInt32?, isRoot: Bool, network: String?, app: String) throws(OpenrukoError) -> RunIsolation {
        guard isRoot else {
            throw OpenrukoError(
                .unavailable,
                "Container builds (Dockerfile, heroku.yml) need openruko to run as root: without root, a RUN step cannot get a "
                    + "network of its own (it would reach this server's own services) and the image cannot be exported. "
                    + "Build with a buildpack: remove the Dockerfile, or set one with 'buildpacks:set \(app) heroku/python'.")
        }
        guard let appUID, appUID >= 1000 else {
            throw OpenrukoError(
                .unavailable, "This app has no uid of its own, which container builds need to run its RUN steps unprivileged. Destroy and recreate the app, or use a buildpack.")
        }
        return RunIsolation(identity: ContainerIdentity(appUID: appUID), network: network)
    }

    /// `buildah bud`'s isolation options. `sys` is an empty read-only tree (`fs/cgroup` only)
    /// that stands in for `/sys`: the kernel refuses a user namespace's root a sysfs of a
    /// network namespace it does not own, and the host's would show its devices. It covers
    /// `/sys/fs/cgroup` too, where runc would bind the build's cgroups from a path (below the
    /// git hook's own cgroup) that the build's root cannot search; the `RUN` steps still run in
    /// that cgroup, under the build's limits.
    func budArguments(sys: String) -> [String] {
        [
            "--isolation", "oci", "--runtime", Self.runtime, "--network", network.map { "ns:" + $0 } ?? "host",
            "--volume", sys + ":/sys:ro", "--volume", sys + "/fs/cgroup:/sys/fs/cgroup:ro",
        ]
    }

    /// The directories of the stand-in `/sys`, relative to it.
    static let sysDirectories = ["fs", "fs/cgroup"]
}
