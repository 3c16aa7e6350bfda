import Foundation
import TestSupport
import Testing

/// `heroku.yml` apps: one image per `build.docker` type, `build.config` as build args,
/// `run` commands, and `release.command` as the release phase.
@Suite(.timeLimit(.minutes(15))) struct HerokuYmlTests {
    static let app: [String: String] = [
        "heroku.yml": """
            build:
              docker:
                web: Dockerfile
                worker: worker/Dockerfile
              config:
                GREETING: built-with-arg
            release:
              image: web
              command:
                - ./release.sh
            run:
              web: exec httpd -f -p $PORT -h /srv/www
              worker:
                command:
                  - ./work.sh
                image: worker
            """,
        "Dockerfile": """
            ARG GREETING=unset
            FROM \(ContainerFixture.baseImage)
            ARG GREETING
            WORKDIR /srv
            COPY . /srv
            RUN mkdir -p www && echo "greeting=$GREETING" > www/index.html
            CMD ["/bin/false"]
            """,
        "release.sh": """
            +x #!/bin/sh
            echo "release phase ran for $HEROKU_RELEASE_VERSION in $(pwd)"
            if [ -f /srv/fail-release ]; then echo "migration failed"; exit 1; fi
            """,
        "worker/Dockerfile": """
            FROM \(ContainerFixture.baseImage)
            WORKDIR /w
            COPY work.sh /w/work.sh
            """,
        "worker/work.sh": """
            +x #!/bin/sh
            while true; do echo "worker tick $DYNO"; sleep 1; done
            """,
    ]

    @Test func buildArgsRunTypesAndReleasePhase() async throws {
        let fixture = try await ContainerFixture.start()
        defer { Task { await fixture.stop() } }
        try await fixture.admin(["apps:create", "manifest"])
        try await fixture.admin(["apps:container-builds", "manifest", "on"])
        let repo = try await fixture.repository(Self.app)
        let push = try await fixture.push(repo, app: "manifest")
        #expect(push.status == 0, "\(push.stderr)")
        #expect(push.stderr.contains("-----> Building Docker image (Dockerfile)"))
        #expect(push.stderr.contains("-----> Building Docker image (worker/Dockerfile)"))
        #expect(push.stderr.contains("Process types -> web, worker"))
        #expect(push.stderr.contains("release phase ran for v2 in /srv"), "\(push.stderr)")
        // The build arg reached the build (through the ARG declared before the first FROM).
        #expect(try await fixture.routed("manifest")?.body == "greeting=built-with-arg\n")

        try await fixture.admin(["ps:scale", "manifest", "worker=1"])
        try await fixture.eventually("the worker runs its own image") {
            try await fixture.log("manifest").contains("app[worker.1]: worker tick worker.1")
        }
        let ps = try await fixture.admin(["ps", "manifest"]).stdout
        #expect(ps.contains("./work.sh"), "\(ps)")

        // A failing release command rejects the push and keeps v2 serving.
        let before = try await fixture.ref("manifest")
        try await fixture.change(repo, ["fail-release": "yes\n", "Dockerfile": Self.app["Dockerfile"]!.replacingOccurrences(of: "greeting=", with: "new greeting=")])
        let failed = try await fixture.push(repo, app: "manifest")
        #expect(failed.status != 0)
        #expect(failed.stderr.contains("migration failed"), "\(failed.stderr)")
        #expect(failed.stderr.contains(" !     Release v3 failed"), "\(failed.stderr)")
        #expect(try await fixture.ref("manifest") == before)
        #expect(try await fixture.routed("manifest")?.body == "greeting=built-with-arg\n")

        // A config change is a release too: its release phase runs the container's command.
        let config = try await fixture.admin(["config:set", "manifest", "COLOR=blue"])
        #expect(config.status == 0)
        try await fixture.eventually("the config release ran its release phase") {
            try await fixture.log("manifest").contains("release phase ran for v4")
        }
    }
}
