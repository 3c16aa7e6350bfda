package import Foundation
package import OpenrukoCore

/// What a dyno's process sees (buildpacks-and-dynos.md §2.1–2.2): the release's config vars,
/// then the platform's own variables on top (`PORT`, `DYNO`, `PS`, `HOME=/app`, Heroku's dyno
/// metadata), and a launcher that sources `/app/.profile.d/*.sh` in `LC_ALL=C` order, then
/// `/app/.profile`, then runs the command with `bash -c`.
package struct DynoEnvironment: Sendable, Hashable {
    package var app: App
    package var release: Release
    package var slug: Slug?
    /// `web.1`, `release.4`.
    package var dyno: String
    package var port: Int
    /// The dyno instance (`HEROKU_DYNO_ID`, the sandbox's host name).
    package var instance: UUID

    package init(app: App, release: Release, slug: Slug?, dyno: String, port: Int, instance: UUID) {
        self.app = app
        self.release = release
        self.slug = slug
        self.dyno = dyno
        self.port = port
        self.instance = instance
    }

    /// The complete environment of the dyno's process.
    package var variables: [String: String] {
        var environment = ["PATH": Self.path]
        environment.merge(release.config) { _, config in config }
        environment.merge(platform) { _, ours in ours }
        environment["HOME"] = "/app"
        // The stack the slug was built on and runs on (not for container images, as on Heroku).
        environment["STACK"] = slug?.stack ?? app.stack
        return environment
    }

    /// The environment of a container dyno, as Docker builds it from the image (`ENV`, with
    /// Docker's default `PATH` and `HOME=/`), then the config vars, then the platform's.
    package func variables(image: ContainerImage) -> [String: String] {
        var environment = ["PATH": Self.path, "HOME": "/"]
        for entry in image.environment {
            let parts = entry.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            if parts.count == 2, !parts[0].isEmpty { environment[String(parts[0])] = String(parts[1]) }
        }
        environment.merge(release.config) { _, config in config }
        environment.merge(platform) { _, ours in ours }
        return environment
    }

    /// `PORT`, `DYNO`, `PS` and Heroku's dyno metadata.
    var platform: [String: String] {
        [
            "PORT": String(port), "DYNO": dyno, "PS": dyno,
            "HEROKU_APP_NAME": app.name, "HEROKU_APP_ID": app.id.uuidString.lowercased(),
            "HEROKU_DYNO_ID": instance.uuidString.lowercased(),
            "HEROKU_RELEASE_VERSION": "v\(release.version)",
            "HEROKU_RELEASE_CREATED_AT": Self.iso8601(release.createdAt),
            "HEROKU_SLUG_COMMIT": slug?.commit ?? "",
            "HEROKU_SLUG_DESCRIPTION": slug?.commit.map { "Deploy \($0.prefix(7))" } ?? release.description,
        ]
    }

    /// The sandbox command that starts `command` like a Heroku dyno.
    package static func launcher(_ command: String) -> [String] {
        ["/bin/bash", "-c", launcherScript, "openruko-dyno", command]
    }

    /// Sources the profile scripts (sorted as bytes, whatever `LC_ALL` the app sets), then
    /// replaces itself with `bash -c COMMAND`, so no extra shell stays between the sandbox and
    /// the app. Scripts see no positional parameters.
    static let launcherScript = """
        __openruko_command=$1
        shift
        __openruko_lc_set=${LC_ALL+x}
        __openruko_lc=${LC_ALL-}
        LC_ALL=C
        __openruko_scripts=(/app/.profile.d/*.sh)
        if [ -n "$__openruko_lc_set" ]; then LC_ALL=$__openruko_lc; else unset LC_ALL; fi
        for __openruko_script in "${__openruko_scripts[@]}"; do
          [ -f "$__openruko_script" ] && . "$__openruko_script"
        done
        [ -f /app/.profile ] && . /app/.profile
        exec bash -c "$__openruko_command"
        """

    /// Heroku's `PATH` for dynos.
    static let path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

    /// `2026-11-21T05:00:00Z`.
    static func iso8601(_ date: Date) -> String {
        let c = UTCCalendar.components(ofSeconds: Int64(date.timeIntervalSince1970.rounded(.down)))
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02dZ", c.year, c.month, c.day, c.hour, c.minute, c.second)
    }
}
