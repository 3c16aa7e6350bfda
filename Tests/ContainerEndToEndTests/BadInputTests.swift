import Foundation
import TestSupport
import Testing

/// Container builds that cannot succeed say why, move no ref and leave the running release alone.
@Suite(.timeLimit(.minutes(15))) struct BadInputTests {
    @Test func failingBuildsAreRejectedAndTheRunningReleaseKeepsServing() async throws {
        let fixture = try await ContainerFixture.start()
        defer { Task { await fixture.stop() } }
        let (repo, ref) = try await Self.deployGood(fixture, "sturdy")
        let good = Self.good

        let cases: [(files: [String: String], message: String)] = [
            (["Dockerfile": good + "\nRUN echo about to fail && exit 3\n"], " !     Push rejected, failed to build Docker image (Dockerfile)."),
            (
                ["Dockerfile": "FROM localhost/no-such-base\nRUN true\n"],
                " !     The base image localhost/no-such-base is not in openruko's image store"
            ),
            (["Dockerfile": good, "heroku.yml": "build:\n  docker: [unclosed\n"], " !     heroku.yml is not valid YAML"),
            (["Dockerfile": good, "heroku.yml": "build:\n  docker:\n    web: nowhere/Dockerfile\n"], " !     nowhere/Dockerfile is missing"),
            (
                ["Dockerfile": good, "heroku.yml": "build:\n  docker:\n    web: host/hostname\n", "host": "->/etc"],
                " !     host/hostname must be inside the repository"
            ),
            (
                ["Dockerfile": good, "heroku.yml": "build:\n  docker:\n    web: Dockerfile\nrun:\n  worker:\n    command: [x]\n    image: other\n"],
                " !     heroku.yml: run.worker.image names other, which build.docker does not build."
            ),
        ]
        for (files, message) in cases {
            try await fixture.change(repo, files)
            let push = try await fixture.push(repo, app: "sturdy")
            #expect(push.status != 0, "\(files) was accepted")
            #expect(push.stderr.contains(message), "expected \(message) in:\n\(push.stderr)")
            #expect(push.stderr.contains(" !     Push failed"))
            #expect(try await fixture.ref("sturdy") == ref)
            #expect(try await fixture.routed("sturdy")?.body == "still here\n")
            try await fixture.git(["reset", "-q", "--hard", "HEAD~1"], in: repo)
        }
        let releases = try await fixture.admin(["releases", "sturdy", "--json"]).stdout
        let list = try JSONSerialization.jsonObject(with: Data(releases.utf8)) as? [[String: Any]] ?? []
        #expect(list.count == 2, "failed builds made releases: \(releases)")
    }

    @Test func imagesOverTheSizeCapAreRejected() async throws {
        let fixture = try await ContainerFixture.start(environment: ["OPENRUKO_IMAGE_MAX_BYTES": "524288"])
        defer { Task { await fixture.stop() } }
        try await fixture.admin(["apps:create", "hefty"])
        try await fixture.admin(["apps:container-builds", "hefty", "on"])
        let repo = try await fixture.repository([
            "Dockerfile": "FROM scratch\nCOPY busybox /bin/busybox\nCMD [\"/bin/busybox\", \"httpd\", \"-f\"]\n",
            "busybox": "@" + ContainerFixture.busybox,
        ])
        let push = try await fixture.push(repo, app: "hefty")
        #expect(push.status != 0)
        #expect(push.stderr.contains(" !     Compiled image size: "), "\(push.stderr)")
        #expect(push.stderr.contains("M is too large (max is 0.5M)."), "\(push.stderr)")
        #expect(try await fixture.ref("hefty") == nil)
    }

    /// A `RUN` step that fills the disk (here 64 MB a second, forever) is stopped once the build
    /// has added `OPENRUKO_IMAGE_BUILD_MAX` to the app's store, and the running release keeps
    /// serving.
    @Test func aRunStepThatKeepsWritingIsStoppedAtTheBuildsDiskLimit() async throws {
        let fixture = try await ContainerFixture.start(environment: ["OPENRUKO_IMAGE_BUILD_MAX": "64M"])
        defer { Task { await fixture.stop() } }
        let (repo, ref) = try await Self.deployGood(fixture, "filler")
        let writer = "RUN i=0; while true; do dd if=/dev/zero of=/fill.$i bs=1M count=64 2>/dev/null; i=$((i+1)); sleep 1; done\n"
        try await fixture.change(repo, ["Dockerfile": Self.good + "\n" + writer])
        let push = try await fixture.push(repo, app: "filler")
        #expect(push.status != 0)
        #expect(push.stderr.contains("wrote more than 64 MB to disk, this server's limit (OPENRUKO_IMAGE_BUILD_MAX)"), "\(push.stderr)")
        // The RUN step went with the build (stopping buildah alone left it writing, reparented).
        var writers: [String] = []
        for _ in 0..<50 {
            writers = Self.processes(containing: "of=/fill.$i")
            if writers.isEmpty { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(writers.isEmpty, "the RUN step outlived its build: \(writers)")
        #expect(try await fixture.ref("filler") == ref)
        #expect(try await fixture.routed("filler")?.body == "still here\n")
    }

    /// A Dockerfile that builds and serves `index.html`.
    static let good = """
        FROM \(ContainerFixture.baseImage)
        COPY index.html /www/index.html
        CMD exec httpd -f -p $PORT -h /www
        """

    /// `app` created, allowed to build containers and deployed from `good`, serving "still
    /// here": its repository and the deployed ref.
    static func deployGood(_ fixture: ContainerFixture, _ app: String) async throws -> (repo: String, ref: String?) {
        try await fixture.admin(["apps:create", app])
        try await fixture.admin(["apps:container-builds", app, "on"])
        let repo = try await fixture.repository(["Dockerfile": good, "index.html": "still here\n"])
        let deployed = try await fixture.push(repo, app: app)
        #expect(deployed.status == 0, "\(deployed.stderr)")
        #expect(try await fixture.routed(app)?.body == "still here\n")
        return (repo, try await fixture.ref(app))
    }

    /// The command lines (NULs as spaces) of the processes whose command line contains `text`.
    static func processes(containing text: String) -> [String] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.filter { Int32($0) != nil }.compactMap { entry in
            guard let data = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline") else { return nil }
            let command = String(decoding: data.map { $0 == 0 ? 32 : $0 }, as: UTF8.self)
            return command.contains(text) ? entry + ": " + command : nil
        }
    }
}
