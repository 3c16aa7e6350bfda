import Foundation
import TestSupport
import Testing

/// The collector inside a Dockerfile app's own image store (openruko as root), with a real
/// daemon and real buildah: it removes a dead build's working container, dangling images and
/// images of the app's old name, keeps the base image, the current build and the cached steps
/// beneath it (the next push still uses its layer cache), and removes nothing that links in a
/// removed image point to. Destroying the app then leaves nothing of it in `DATA_DIR`.
@Suite(.timeLimit(.minutes(15)), .enabled(if: geteuid() == 0, "apps have their own image stores as root"))
struct ImageCollectionTests {
    static let retain = ["OPENRUKO_RETAIN_RELEASES": "2", "OPENRUKO_RETAIN_DAYS": "0"]

    static func app(page: String) -> [String: String] {
        [
            "Dockerfile": """
                FROM \(ContainerFixture.baseImage)
                RUN echo dependency > /dep.txt
                COPY www /srv/www
                CMD exec httpd -f -p "$PORT" -h /srv/www
                """,
            "www/index.html": page,
        ]
    }

    /// The store's images as `id → names`, from its image list.
    func images(_ store: String) throws -> [String: [String]] {
        let data = try Data(contentsOf: URL(fileURLWithPath: store + "/storage/vfs-images/images.json"))
        let list = try #require(try JSONSerialization.jsonObject(with: data) as? [[String: Any]])
        return Dictionary(uniqueKeysWithValues: list.compactMap { entry in
            (entry["id"] as? String).map { ($0, entry["names"] as? [String] ?? []) }
        })
    }

    @Test func collectsGarbageImagesKeepsTheCacheAndDestroyLeavesNothing() async throws {
        let fixture = try await ContainerFixture.start(environment: Self.retain.merging(["OPENRUKO_GC_INTERVAL": "0"]) { _, new in new })
        defer { Task { await fixture.stop() } }
        try await fixture.admin(["apps:create", "victim"])
        let secrets = try PlantedSecrets.plant(dataDir: fixture.dataDir, in: fixture.directory)
        let (victimCache, outside) = (secrets.victimCache, secrets.outside)

        // Given three deploys of a Dockerfile app
        try await fixture.admin(["apps:create", "boxed"])
        let repo = try await fixture.repository(Self.app(page: "one\n"))
        for n in 1...3 {
            if n > 1 { try await fixture.change(repo, ["www/index.html": "\(n)\n"]) }
            let push = try await fixture.push(repo, app: "boxed")
            try #require(push.status == 0, "push \(n): \(push.stderr)")
        }
        let (uid, store) = try fixture.appStore()
        let built = try images(store)
        await fixture.stop()

        // And garbage in its store: a dead build's working container, an image under the app's
        // old name, and a dangling image whose links name another app's cache and a host file
        let base = ContainerFixture.baseImage
        _ = try await fixture.appBuildah(["from", "--pull-never", "--name", "openruko-export-leftover", base], appUID: uid)
        _ = try await fixture.appBuildah(["from", "--pull-never", "--name", "old", base], appUID: uid)
        _ = try await fixture.appBuildah(["commit", "--quiet", "old", "localhost/openruko/oldname/web:latest"], appUID: uid)
        _ = try await fixture.appBuildah(["rm", "old"], appUID: uid)
        _ = try await fixture.appBuildah(["from", "--pull-never", "--name", "links", base], appUID: uid)
        let mounted = try await fixture.appBuildah(["mount", "links"], appUID: uid).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        for (name, target) in [("victim-cache", victimCache), ("victim-file", victimCache + "/keep"), ("outside", outside), ("root", "/")] {
            try FileManager.default.createSymbolicLink(atPath: mounted + "/" + name, withDestinationPath: target)
        }
        _ = try await fixture.appBuildah(["commit", "--quiet", "links"], appUID: uid)
        _ = try await fixture.appBuildah(["rm", "links"], appUID: uid)
        let withGarbage = try images(store)
        let injected = Set(withGarbage.keys).subtracting(built.keys)
        try #require(injected.count == 2, "\(withGarbage)")

        // When the daemon's collector runs
        let daemon = try await DaemonProcess.start(
            dataDir: fixture.dataDir, environment: Self.retain.merging(["OPENRUKO_GC_INTERVAL": "2"]) { _, new in new })
        defer { Task { await daemon.stop() } }
        try await fixture.eventually("the image collection") { daemon.log.contains("gc: images of boxed: removed") }
        for line in daemon.log.split(separator: "\n") where line.contains("gc: images of boxed") { print(line) }

        // Then exactly the garbage is gone: the built images (base, current build, cached steps) stay
        let left = try images(store)
        #expect(Set(left.keys) == Set(built.keys), "removed \(Set(built.keys).subtracting(left.keys)), kept \(Set(left.keys).intersection(injected))")
        #expect(left.values.contains { $0.contains("localhost/openruko/boxed/web:latest") })
        #expect(left.values.contains { $0.contains(base + ":latest") })
        let containers = try String(contentsOfFile: store + "/storage/vfs-containers/containers.json", encoding: .utf8)
        #expect(!containers.contains("openruko-export-leftover"), "\(containers)")
        #expect(daemon.log.contains("1 leftover containers"), "\(daemon.log)")
        // And nothing a link named was touched
        #expect(secrets.intact, "another app's cache and the host's file are untouched")
        #expect(FileManager.default.fileExists(atPath: "/etc/passwd"))
        // And the admin's base image is still there
        let adminImages = try await ContainerFixture.buildah(["images", "--format", "{{.Name}}"], dataDir: fixture.dataDir).stdout
        #expect(adminImages.contains(base))

        // And the next push still builds from the layer cache
        let ssh = SSHClient(port: daemon.sshPort, key: fixture.ssh.key)
        try await fixture.change(repo, ["www/index.html": "four\n"])
        let fourth = try await ProcessRunner.run(
            "/usr/bin/git", ["push", ssh.url("boxed"), "main"], environment: ssh.gitEnvironment, directory: repo)
        #expect(fourth.status == 0, "\(fourth.stderr)")
        #expect(fourth.stderr.split(separator: "\n").contains { $0.contains("Using cache") }, "\(fourth.stderr)")

        // When the app is destroyed, nothing of it is left: not under DATA_DIR, not in a store
        let info = try await fixture.admin(["apps:info", "boxed", "--json"]).stdout
        let appID = try #require(info.firstMatch(of: /"id" ?: "([0-9A-Fa-f-]{36})"/)?.1, "\(info)").lowercased()
        try await fixture.admin(["apps:destroy", "boxed", "--confirm", "boxed"])
        try await fixture.eventually("the app's dynos are gone") {
            let names = FileManager.default.enumerator(atPath: fixture.dataDir)?.compactMap { $0 as? String } ?? []
            return !names.contains { $0.contains(appID) }
        }
        let names = FileManager.default.enumerator(atPath: fixture.dataDir)?.compactMap { $0 as? String } ?? []
        // (the build lock file stays: removing a lock file someone may hold is a race)
        let left2 = names.filter { path in
            (path.contains("boxed") && path != "run/locks/build-boxed.lock") || path.contains(appID) || path.hasSuffix("apps/\(uid)") || path.contains("apps/\(uid)/")
                || path.hasSuffix("container-builds/\(uid)") || path.contains("container-builds/\(uid)/")
        }
        #expect(left2.isEmpty, "left behind: \(left2.prefix(20))")
        let adminAfter = try await ContainerFixture.buildah(["images", "--all", "--format", "{{.Name}}"], dataDir: fixture.dataDir).stdout
        #expect(!adminAfter.contains("boxed"), "\(adminAfter)")
        #expect(adminAfter.contains(base))
    }
}
