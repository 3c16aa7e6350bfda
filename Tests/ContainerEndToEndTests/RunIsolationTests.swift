import Foundation
import TestSupport
import Testing

/// A hostile Dockerfile's `RUN` steps, as root openruko runs them: root only in a user namespace
/// of the app's own ids, in the app's own image store, on the build's own network. Each attack
/// prints what it got, and the push itself succeeds, so the output shows every attempt.
@Suite(.timeLimit(.minutes(15)), .enabled(if: geteuid() == 0, "RUN isolation is openruko-as-root's"))
struct RunIsolationTests {
    /// A static binary doing the classic chroot escape (chroot into a subdirectory, `chdir("..")`
    /// past the old root, `chroot(".")`), then creating `argv[1]`: with host root and buildah's
    /// chroot isolation it lands on the host.
    static func chrootEscape(into directory: String) async throws -> String {
        let source = directory + "/escape.c"
        try #"""
            #include <fcntl.h>
            #include <stdio.h>
            #include <sys/stat.h>
            #include <unistd.h>
            int main(int argc, char **argv) {
                mkdir("/escape-dir", 0755);
                if (chroot("/escape-dir") != 0) perror("chroot");
                for (int i = 0; i < 64; i++) chdir("..");
                if (chroot(".") != 0) perror("chroot .");
                int fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC, 0644);
                if (fd < 0) { perror("open"); return 1; }
                dprintf(fd, "escaped as uid %d\n", (int)getuid());
                return 0;
            }
            """#.write(toFile: source, atomically: true, encoding: .utf8)
        let binary = directory + "/escape"
        let built = try await ProcessRunner.run("/usr/bin/env", ["gcc", "-static", "-O2", "-o", binary, source])
        guard built.status == 0 else { throw TestFailure("cannot build the escape binary (gcc -static): \(built.stderr)") }
        try FileManager.default.removeItem(atPath: source)
        return binary
    }

    @Test func runIsAnUnprivilegedMappedRootThatReachesNothingOfTheHost() async throws {
        let service = try await LoopbackHTTPServer.start()
        let port = service.port
        let canary = "OPENRUKO_TEST_CANARY=host-secret-\(UUID().uuidString.prefix(8))"
        let fixture = try await ContainerFixture.start(environment: [
            "OPENRUKO_DYNO_ALLOW": "127.0.0.1:\(port)", "OPENRUKO_TEST_CANARY": String(canary.split(separator: "=")[1]),
        ])
        defer { Task { await fixture.stop(); service.stop() } }
        // The attack would find the canary if it saw the host's processes: the daemon has it.
        let daemonEnvironment = try Data(contentsOf: URL(fileURLWithPath: "/proc/\(fixture.daemon.pid)/environ"))
        #expect(String(decoding: daemonEnvironment, as: UTF8.self).contains(canary))

        try await fixture.admin(["apps:create", "hostile"])
        try await fixture.admin(["apps:container-builds", "hostile", "on"])
        let escaped = fixture.directory.appending("escaped-marker")
        let escape = try await Self.chrootEscape(into: fixture.directory.path)
        let api = fixture.daemon.apiPort
        let repo = try await fixture.repository([
            "escape": "@" + escape,
            "Dockerfile": """
                FROM \(ContainerFixture.baseImage)
                COPY escape /escape
                RUN touch /marker && echo "inside-uid=$(id -u)"
                RUN /escape \(escaped); echo "escape-exit=$?"
                RUN echo "canary-seen=$(for f in /proc/[0-9]*/environ; do tr '\\0' '\\n' < $f; done | grep -c OPENRUKO_TEST_CANARY)"
                RUN echo "host-file=$(cat \(fixture.dataDir)/openruko.sqlite3 >/dev/null 2>&1 && echo read || echo refused)"
                RUN echo "host-root=$(cat /proc/1/root\(fixture.dataDir)/openruko.sqlite3 >/dev/null 2>&1 && echo read || echo refused)"
                RUN echo "processes=$(ls -d /proc/[0-9]* | wc -l)"
                RUN echo "address=$(ip -4 -o addr show eth0 | awk '{print $4}')"
                RUN gw=$(ip route | awk '/default/ {print $3}'); \\
                    echo "allowed-service=$(printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 5 $gw \(port) | head -1)"; \\
                    echo "api=$(printf 'GET /health HTTP/1.0\\r\\n\\r\\n' | nc -w 5 $gw \(api) >/dev/null 2>&1 && echo reached || echo refused)"; \\
                    echo "loopback=$(printf 'GET /health HTTP/1.0\\r\\n\\r\\n' | nc -w 5 127.0.0.1 \(api) >/dev/null 2>&1 && echo reached || echo refused)"
                CMD exec httpd -f -p "$PORT" -h /
                """,
        ])
        let push = try await fixture.push(repo, app: "hostile")
        #expect(push.status == 0, "\(push.stderr)")
        let output = push.stderr
        func value(_ key: String) -> String? { Self.value(key + "=", in: output) }
        // Root inside, and a file it makes belongs to the app's mapped ids on the host.
        #expect(value("inside-uid") == "0", "\(output)")
        let store = try fixture.appStore()
        let base = ContainerFixture.mappedRoot(appUID: store.uid)
        let find = try await ProcessRunner.run(
            "/usr/bin/find", [store.path + "/storage/vfs/dir", "-maxdepth", "2", "-name", "marker", "-printf", "%U:%G\n"])
        let owners = Set(find.stdout.split(separator: "\n").map(String.init))
        #expect(owners == ["\(base):\(base)"], "markers owned by \(owners), expected the app's mapped root \(base)")
        // The chroot escape stays in the build's root; the host's processes and files are out of sight.
        #expect(!FileManager.default.fileExists(atPath: escaped), "the chroot escape reached the host")
        #expect(value("escape-exit") == "1", "\(output)")
        #expect(value("canary-seen") == "0", "\(output)")
        #expect(value("host-file") == "refused" && value("host-root") == "refused", "\(output)")
        // Only the RUN step's own processes (its shells, ls and wc).
        #expect((value("processes").flatMap { Int($0) } ?? 99) < 8, "\(output)")
        // Its own network: out through the bridge to what the admin allows, not the host's services.
        #expect(value("allowed-service")?.hasPrefix("HTTP/1.0 200") == true, "\(output)")
        #expect(value("api") == "refused" && value("loopback") == "refused", "\(output)")
        // The build's namespace is gone once the push is over.
        let address = try #require(Self.value("address=", in: output))
        let index = try #require(Self.index(of: address))
        #expect(!FileManager.default.fileExists(atPath: "/run/netns/openruko-\(index)"), "the build's network namespace is left: \(address)")
    }

    @Test func anAdminsNewBaseImageIsImportedAndAReusedUIDStartsFromAnEmptyStore() async throws {
        let fixture = try await ContainerFixture.start()
        defer { Task { await fixture.stop() } }
        try await fixture.admin(["apps:create", "first"])
        try await fixture.admin(["apps:container-builds", "first", "on"])
        let files = [
            "Dockerfile": """
                FROM \(ContainerFixture.baseImage)
                RUN echo "base-version=$(cat /version 2>/dev/null || echo none)"
                CMD exec httpd -f -p "$PORT" -h /
                """
        ]
        let repo = try await fixture.repository(files)
        let first = try await fixture.push(repo, app: "first")
        #expect(first.status == 0, "\(first.stderr)")
        #expect(Self.value("base-version=", in: first.stderr) == "none", "\(first.stderr)")
        #expect(first.stderr.contains("Importing base image localhost/openruko-test/busybox"))
        let uid = try fixture.appStore().uid

        // The admin replaces the base image under the same name: the next build gets the new one.
        let container = try await ContainerFixture.buildah(["from", "--pull-never", ContainerFixture.baseImage], dataDir: fixture.dataDir)
            .stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let version = fixture.directory.appending("version")
        try "2\n".write(toFile: version, atomically: true, encoding: .utf8)
        _ = try await ContainerFixture.buildah(["copy", container, version, "/version"], dataDir: fixture.dataDir)
        _ = try await ContainerFixture.buildah(["commit", "--quiet", container, ContainerFixture.baseImage], dataDir: fixture.dataDir)
        _ = try await ContainerFixture.buildah(["rm", container], dataDir: fixture.dataDir)
        try await fixture.change(repo, ["www.txt": "again\n"])
        let second = try await fixture.push(repo, app: "first")
        #expect(second.status == 0, "\(second.stderr)")
        #expect(Self.value("base-version=", in: second.stderr) == "2", "\(second.stderr)")

        // A new app that gets the destroyed app's uid sees nothing of its images.
        try await fixture.admin(["apps:destroy", "first", "--confirm", "first"])
        try await fixture.admin(["apps:create", "heir"])
        try await fixture.admin(["apps:container-builds", "heir", "on"])
        let heir = try await fixture.repository(["Dockerfile": "FROM localhost/openruko/first/web\nCMD exec httpd -f -p \"$PORT\" -h /\n"])
        let inherited = try await fixture.push(heir, app: "heir")
        #expect(try fixture.appStore().uid == uid, "the uid was not reused, so this shows nothing")
        #expect(inherited.status != 0 && inherited.stderr.contains("is not in openruko's image store"), "\(inherited.stderr)")
    }

    /// What follows `key` on the last output line that has it (git prefixes `remote: `).
    static func value(_ key: String, in output: String) -> String? {
        // The last: buildah echoes each step's command (with its `KEY=$(…)`) before its output.
        guard let line = output.split(separator: "\n").last(where: { $0.contains(key) }), let range = line.range(of: key) else { return nil }
        return line[range.upperBound...].trimmingCharacters(in: .whitespaces)
    }

    /// The namespace index of a build address `A.B.C.D/PREFIX` (its offset in the subnet).
    static func index(of address: String) -> Int? {
        let parts = address.split(separator: "/")
        let octets = parts.first?.split(separator: ".").compactMap { Int($0) } ?? []
        guard parts.count == 2, let prefix = Int(parts[1]), octets.count == 4 else { return nil }
        let value = octets.reduce(0) { $0 << 8 | $1 }
        return value & ((1 << (32 - prefix)) - 1)
    }

    @Test func oneAppsImagesAreInvisibleToAnotherAppsBuild() async throws {
        let fixture = try await ContainerFixture.start()
        defer { Task { await fixture.stop() } }
        for app in ["victim", "thief"] {
            try await fixture.admin(["apps:create", app])
            try await fixture.admin(["apps:container-builds", app, "on"])
        }
        let victim = try await fixture.repository([
            "Dockerfile": """
                FROM \(ContainerFixture.baseImage)
                RUN echo "built-in secret" > /secret.txt
                CMD exec httpd -f -p "$PORT" -h /
                """
        ])
        let built = try await fixture.push(victim, app: "victim")
        #expect(built.status == 0, "\(built.stderr)")
        // Before per-app stores, the victim's image was in the one store, under a known name.
        let thief = try await fixture.repository([
            "Dockerfile": "FROM localhost/openruko/victim/web\nRUN cat /secret.txt\nCMD exec httpd -f -p \"$PORT\" -h /\n"
        ])
        let stolen = try await fixture.push(thief, app: "thief")
        #expect(stolen.status != 0)
        #expect(!stolen.stderr.contains("built-in secret"), "\(stolen.stderr)")
        #expect(stolen.stderr.contains("is not in openruko's image store"), "\(stolen.stderr)")
        let stores = try FileManager.default.contentsOfDirectory(atPath: fixture.dataDir + "/containers/apps")
        #expect(stores.count == 2, "one store per app: \(stores)")

        // An app image an older openruko left in the admin's store is no base image: not by its
        // name, nor by an id prefix.
        let container = try await ContainerFixture.buildah(["from", "--pull-never", ContainerFixture.baseImage], dataDir: fixture.dataDir)
            .stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let secret = fixture.directory.appending("legacy-secret")
        try "legacy secret\n".write(toFile: secret, atomically: true, encoding: .utf8)
        _ = try await ContainerFixture.buildah(["copy", container, secret, "/legacy-secret"], dataDir: fixture.dataDir)
        let legacy = try await ContainerFixture.buildah(["commit", "--quiet", container, "localhost/openruko/legacy/web"], dataDir: fixture.dataDir)
            .stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        _ = try await ContainerFixture.buildah(["rm", container], dataDir: fixture.dataDir)
        for reference in ["localhost/openruko/legacy/web", String(legacy.prefix(12))] {
            try await fixture.change(thief, ["Dockerfile": "FROM \(reference)\nRUN cat /legacy-secret\nCMD exec httpd -f -p \"$PORT\" -h /\n"])
            let push = try await fixture.push(thief, app: "thief")
            #expect(push.status != 0 && !push.stderr.contains("legacy secret"), "FROM \(reference): \(push.stderr)")
            #expect(push.stderr.contains("is not in openruko's image store"), "FROM \(reference): \(push.stderr)")
        }
    }
}
