import Foundation
package import OpenrukoCore

/// Limits of a build, from the environment of the process that builds.
package struct BuildSettings: Sendable, Hashable {
    /// The largest compressed slug (`OPENRUKO_SLUG_MAX_BYTES`, default 200 MiB).
    package var slugMaxBytes: Int64
    /// The wall-clock limit of each `bin/compile` (`OPENRUKO_COMPILE_TIMEOUT` seconds, default 15 minutes).
    package var compileTimeout: Duration
    /// The limit of `bin/detect`, `bin/release` and fetching a buildpack.
    package var stepTimeout: Duration
    /// The largest compressed container image (`OPENRUKO_IMAGE_MAX_BYTES`, default 2 GiB).
    package var imageMaxBytes: Int64 = 2 << 30
    /// buildah's storage driver (`OPENRUKO_CONTAINER_STORAGE_DRIVER`): `vfs` (default: plain
    /// directories, works anywhere) or `overlay` (kernel overlayfs: layers are diffs, so cached
    /// steps and new layers copy nothing). A store keeps the driver it was made with.
    package var containerStorageDriver = "vfs"
    /// Whether every app may build from a Dockerfile (`OPENRUKO_CONTAINER_BUILDS=all`) or only
    /// the apps an admin turned on (`admin`). Default: `all` when openruko runs as root (RUN
    /// steps are an unprivileged root of the app's own user namespace, under runc, in the build's
    /// network namespace). Without root every container build is refused (see `RunIsolation`).
    package var containerBuildsForAll = geteuid() == 0
    /// The most one container build may add to its app's image store (`OPENRUKO_IMAGE_BUILD_MAX`,
    /// a size such as `10G`; default 10 GiB): `RUN` steps write into the image, not a capped
    /// `/tmp`, so a build that grows the store past it is stopped.
    package var imageBuildMaxBytes: Int64 = 10 << 30
    /// The most an app's build cache may keep after a build (`OPENRUKO_BUILD_CACHE_MAX`, a size
    /// such as `1G` or `500M`; default 1 GiB): a cache over it is emptied.
    package var buildCacheMaxBytes: Int64 = 1 << 30
    /// The size of each build step's `/tmp`, a tmpfs (`OPENRUKO_BUILD_TMP_MAX`, a size such as
    /// `2G` or `500M`; default 2 GiB). Its pages count against the build's memory limit.
    package var buildTmpMaxBytes: Int64 = 2 << 30

    package init(slugMaxBytes: Int64 = 200 * 1_048_576, compileTimeout: Duration = .seconds(900), stepTimeout: Duration = .seconds(300)) {
        self.slugMaxBytes = slugMaxBytes
        self.compileTimeout = compileTimeout
        self.stepTimeout = stepTimeout
    }

    /// The settings from `OPENRUKO_SLUG_MAX_BYTES` and `OPENRUKO_COMPILE_TIMEOUT`.
    /// - Throws: `OpenrukoError.invalid` for a value that is not a positive integer.
    package static func from(environment: [String: String] = ProcessInfo.processInfo.environment) throws(OpenrukoError)
        -> BuildSettings
    {
        var settings = BuildSettings()
        if let text = environment["OPENRUKO_SLUG_MAX_BYTES"] {
            guard let value = Int64(text), value > 0 else {
                throw OpenrukoError(.invalid, "OPENRUKO_SLUG_MAX_BYTES must be a positive number of bytes, not \(text.debugDescription).")
            }
            settings.slugMaxBytes = value
        }
        if let text = environment["OPENRUKO_IMAGE_MAX_BYTES"] {
            guard let value = Int64(text), value > 0 else {
                throw OpenrukoError(.invalid, "OPENRUKO_IMAGE_MAX_BYTES must be a positive number of bytes, not \(text.debugDescription).")
            }
            settings.imageMaxBytes = value
        }
        if let text = environment["OPENRUKO_CONTAINER_STORAGE_DRIVER"] {
            guard ["vfs", "overlay"].contains(text) else {
                throw OpenrukoError(.invalid, "OPENRUKO_CONTAINER_STORAGE_DRIVER must be vfs or overlay, not \(text.debugDescription).")
            }
            settings.containerStorageDriver = text
        }
        if let text = environment["OPENRUKO_CONTAINER_BUILDS"] {
            guard ["all", "admin"].contains(text) else {
                throw OpenrukoError(.invalid, "OPENRUKO_CONTAINER_BUILDS must be all or admin, not \(text.debugDescription).")
            }
            settings.containerBuildsForAll = text == "all"
        }
        if let text = environment["OPENRUKO_IMAGE_BUILD_MAX"] {
            guard let value = DiskBudget.bytes(parsing: text), value >= 1 << 20 else {
                throw OpenrukoError(.invalid, "OPENRUKO_IMAGE_BUILD_MAX must be a size of at least 1M such as 10G or 500M, not \(text.debugDescription).")
            }
            settings.imageBuildMaxBytes = value
        }
        if let text = environment["OPENRUKO_BUILD_CACHE_MAX"] {
            guard let value = DiskBudget.bytes(parsing: text) else {
                throw OpenrukoError(.invalid, "OPENRUKO_BUILD_CACHE_MAX must be a size such as 1G, 500M or a number of bytes, not \(text.debugDescription).")
            }
            settings.buildCacheMaxBytes = value
        }
        if let text = environment["OPENRUKO_BUILD_TMP_MAX"] {
            guard let value = DiskBudget.bytes(parsing: text), value >= 1 << 20 else {
                throw OpenrukoError(.invalid, "OPENRUKO_BUILD_TMP_MAX must be a size of at least 1M such as 2G or 500M, not \(text.debugDescription).")
            }
            settings.buildTmpMaxBytes = value
        }
        if let text = environment["OPENRUKO_COMPILE_TIMEOUT"] {
            guard let value = Int(text), value > 0 else {
                throw OpenrukoError(.invalid, "OPENRUKO_COMPILE_TIMEOUT must be a positive number of seconds, not \(text.debugDescription).")
            }
            settings.compileTimeout = .seconds(value)
        }
        return settings
    }

    /// `15 minutes`, `90 seconds`.
    var compileTimeoutText: String {
        let seconds = compileTimeout.components.seconds
        return seconds % 60 == 0 ? "\(seconds / 60) minute\(seconds == 60 ? "" : "s")" : "\(seconds) seconds"
    }
}
