import Foundation
import TestSupport
import Testing

/// Dockerfile apps pushed over SSH, built with buildah and run from their image's root
/// filesystem in the sandbox, answered through the router.
@Suite(.timeLimit(.minutes(15))) struct DockerfileTests {
    /// A two-stage build on the local base image: the first stage `RUN`s (the "dependency"
    /// layer), the second copies its result and the source; `ENV`, `WORKDIR`, `USER` and a
    /// shell-form `CMD` behave as in Docker; a CGI script shows the dyno's environment (its
    /// header ends in CRLF: busybox httpd passes a CGI's bare-LF header on, which the router's
    /// strict parser refuses).
    static func twoStageApp(page: String) -> [String: String] {
        [
            "Dockerfile": """
                FROM \(ContainerFixture.baseImage) AS deps
                COPY deps.lock /deps.lock
                RUN mkdir -p /out && echo "installed from $(cat /deps.lock)" > /out/deps.txt
                FROM \(ContainerFixture.baseImage)
                ENV GREETING="hello from env" PATH=/opt/tools:/bin
                WORKDIR /srv
                COPY --from=deps /out/deps.txt /srv/www/deps.txt
                COPY www /srv/www
                USER 1000:1000
                CMD echo "started pwd=$(pwd) uid=$(id -u)" | tee www/start.txt && exec httpd -f -p "$PORT" -h www
                """,
            "deps.lock": "libfoo==1.0\n",
            "www/index.html": page,
            "www/cgi-bin/env": """
                +x #!/bin/sh
                printf 'Content-Type: text/plain\r\n\r\n'
                env | grep -E '^(GREETING|PORT|DYNO|HEROKU_[A-Z_]+|SECRET_TOKEN|PATH|HOME)=' | sort
                echo "whoami=$(id -u):$(id -g)"
                """,
        ]
    }

    @Test func twoStageAppBuildsServesAndReusesItsLayerCache() async throws {
        let fixture = try await ContainerFixture.start()
        defer { Task { await fixture.stop() } }
        try await fixture.admin(["apps:create", "boxed"])
        try await fixture.admin(["apps:container-builds", "boxed", "on"])
        try await fixture.admin(["config:set", "boxed", "SECRET_TOKEN=s3cr3t-value-7781"])
        let repo = try await fixture.repository(Self.twoStageApp(page: "version one\n"))
        let first = try await fixture.push(repo, app: "boxed")
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stderr.contains("-----> Building Docker image (Dockerfile)"))
        #expect(first.stderr.contains("STEP 3/3: RUN mkdir -p /out"))
        #expect(first.stderr.contains("Process types -> web"))
        #expect(first.stderr.contains("Released v3"))

        let page = try #require(try await fixture.routed("boxed"))
        #expect(page.status == 200)
        #expect(page.body == "version one\n")
        #expect(try await fixture.routed("boxed", "/deps.txt")?.body == "installed from libfoo==1.0\n")
        #expect(try await fixture.routed("boxed", "/start.txt")?.body == "started pwd=/srv uid=1000\n")
        let env = try #require(try await fixture.routed("boxed", "/cgi-bin/env")).body
        let commit = try await fixture.head(repo)
        for line in [
            "GREETING=hello from env", "PATH=/opt/tools:/bin", "DYNO=web.1", "HEROKU_APP_NAME=boxed", "HEROKU_RELEASE_VERSION=v3",
            "HEROKU_SLUG_COMMIT=\(commit)", "SECRET_TOKEN=s3cr3t-value-7781", "whoami=1000:1000",
        ] {
            #expect(env.contains(line + "\n"), "missing \(line) in\n\(env)")
        }
        #expect(env.contains("HEROKU_APP_ID="))
        #expect(env.contains("HEROKU_RELEASE_CREATED_AT=20"))

        // The config var never reaches the image: not in its config, not in any layer.
        let storage = fixture.dataDir + "/containers"
        let grep = try await ProcessRunner.run("/usr/bin/grep", ["-r", "-l", "s3cr3t-value-7781", storage])
        #expect(grep.status == 1, "the config var is in the image store: \(grep.stdout)")
        // As root the app's image is in its own store; otherwise in the one store.
        let inspectArguments = ["inspect", "--type", "image", "localhost/openruko/boxed/web:latest"]
        let inspect =
            geteuid() == 0
            ? try await fixture.appBuildah(inspectArguments, appUID: try fixture.appStore().uid)
            : try await ContainerFixture.buildah(inspectArguments, dataDir: fixture.dataDir)
        #expect(!inspect.stdout.contains("s3cr3t"))
        #expect(inspect.stdout.contains("hello from env"))

        // A source-only change: the dependency stage comes from the cache.
        try await fixture.change(repo, ["www/index.html": "version two\n"])
        let second = try await fixture.push(repo, app: "boxed")
        #expect(second.status == 0, "\(second.stderr)")
        let cached = second.stderr.split(separator: "\n").filter { $0.contains("Using cache") }
        #expect(cached.count >= 3, "cached steps: \(cached)\n\(second.stderr)")
        #expect(second.stderr.contains("Released v4"))
        #expect(try await fixture.routed("boxed")?.body == "version two\n")

        // Rollback to the first container release restarts its image.
        try await fixture.admin(["rollback", "boxed", "v3"])
        try await fixture.eventually("v3's image serves again") { try await fixture.routed("boxed")?.body == "version one\n" }
        // A config change makes a release of the same image with the new config.
        try await fixture.admin(["config:set", "boxed", "SECRET_TOKEN=rotated"])
        try await fixture.eventually("the new config reaches the dyno") {
            try await fixture.routed("boxed", "/cgi-bin/env")?.body.contains("SECRET_TOKEN=rotated\n") == true
        }
    }

    @Test func scratchImageWithAStaticBinaryAndExecFormCommand() async throws {
        let fixture = try await ContainerFixture.start()
        defer { Task { await fixture.stop() } }
        try await fixture.admin(["apps:create", "scratchy"])
        try await fixture.admin(["apps:container-builds", "scratchy", "on"])
        let repo = try await fixture.repository([
            "Dockerfile": """
                FROM scratch
                COPY busybox /bin/busybox
                COPY site /site
                ENTRYPOINT ["/bin/busybox"]
                CMD ["sh", "-c", "exec /bin/busybox httpd -f -p $PORT -h /site"]
                """,
            "busybox": "@" + ContainerFixture.busybox,
            "site/index.html": "from scratch\n",
        ])
        let push = try await fixture.push(repo, app: "scratchy")
        #expect(push.status == 0, "\(push.stderr)")
        #expect(push.stderr.contains("-----> Building Docker image (Dockerfile)"))
        let page = try #require(try await fixture.routed("scratchy"))
        #expect(page.status == 200)
        #expect(page.body == "from scratch\n")
        let ps = try await fixture.admin(["ps", "scratchy"]).stdout
        #expect(ps.contains("/bin/busybox sh -c 'exec /bin/busybox httpd"), "\(ps)")
    }
}
