@testable import Builder
import Foundation
import OpenrukoCore
import Operations
import Isolation
import Store
import Testing
import TestSupport

@Suite(.timeLimit(.minutes(15))) struct SandboxTests {
    func run(_ script: String, _ configuration: (inout SandboxConfiguration) -> Void = { _ in }) async throws -> (SandboxResult, String) {
        let state = TemporaryDirectory("sandbox-state")
        let sandbox = try Sandbox(stateDirectory: state.path)
        var config = SandboxConfiguration(command: ["/bin/bash", "-c", script], environment: ["PATH": SandboxConfiguration.defaultPath])
        configuration(&config)
        let output = OutputBox()
        let result = try await sandbox.run(config) { output.append($0) }
        return (result, output.text)
    }

    @Test func runsUnprivilegedWithPrivateAppAndTmpAndNoHostFiles() async throws {
        let secret = TemporaryDirectory("host-secret")
        _ = FileManager.default.createFile(atPath: secret.appending("data.txt"), contents: Data("secret".utf8))
        let (result, text) = try await run(
            "id -u; touch /app/x /tmp/y && echo writable; touch /usr/z 2>/dev/null || echo usr-readonly; "
                + "ls \(secret.path) 2>/dev/null || echo host-hidden; ls /root 2>/dev/null || echo root-hidden; whoami")
        #expect(result.succeeded, "\(text)")
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines.first != "0")
        if getuid() == 0 { #expect(lines.first == String(SandboxIdentity.defaultID)) }
        #expect(lines.contains("writable"))
        #expect(lines.contains("usr-readonly"))
        #expect(lines.contains("host-hidden"))
        #expect(lines.contains("root-hidden"))
        #expect(lines.last == "dyno")
    }

    @Test func aDataDirectoryTheSandboxUserCannotReachIsRefusedUpFront() throws {
        let identity = SandboxIdentity(uid: SandboxIdentity.defaultID, gid: SandboxIdentity.defaultID, switchesUser: true)
        let home = TemporaryDirectory("private-home")
        chown(home.path, 0, 0)
        chmod(home.path, 0o700)  // like /root on Debian
        let state = home.path + "/data/run/sandbox"
        #expect(identity.unreachableDirectory(on: state)?.path == home.path)
        do {
            _ = try Sandbox(stateDirectory: state, identity: identity)
            Issue.record("a sandbox under a 0700 directory must be refused")
        } catch {
            #expect(error.message.contains("cannot enter \(home.path) (mode 700)"), "\(error.message)")
            #expect(error.message.contains("chmod o+x \(home.path)"))
        }
        chmod(home.path, 0o711)
        #expect(identity.unreachableDirectory(on: state) == nil)
        #expect(throws: Never.self) { _ = try Sandbox(stateDirectory: state, identity: identity) }
    }

    @Test func wallClockLimitKillsTheWholeGroup() async throws {
        let marker = TemporaryDirectory("sandbox-marker")
        if getuid() == 0 { chown(marker.path, SandboxIdentity.defaultID, SandboxIdentity.defaultID) }
        let clock = ContinuousClock()
        let start = clock.now
        let (result, _) = try await run(
            "trap 'echo term >> /m/log; exit 0' TERM; (setsid sleep 301 &); sleep 301 & wait") { config in
                config.binds = [.init(marker.path, at: "/m", writable: true)]
                config.timeLimit = .milliseconds(500)
                config.gracePeriod = .seconds(5)
            }
        #expect(result.timedOut)
        #expect(clock.now - start < .seconds(60))
        #expect((try? String(contentsOfFile: marker.appending("log"), encoding: .utf8)) == "term\n")
        // The kernel empties the PID namespace asynchronously once its init is gone.
        var leftover = ""
        for _ in 0..<50 {
            leftover = try await ProcessRunner.run("/usr/bin/pgrep", ["-f", "^sleep 301$"]).stdout
            if leftover.isEmpty { break }
            try await Task.sleep(for: .milliseconds(200))
        }
        #expect(leftover.isEmpty, "a sandboxed process survived: \(leftover)")
    }
}

@Suite(.timeLimit(.minutes(15))) struct BuildLockTests {
    @Test func aSecondBuildWaitsAndTheLockDiesWithItsHolder() async throws {
        let directory = TemporaryDirectory("locks")
        let layout = DataLayout(root: directory.path)
        var first: BuildLock? = try await BuildLock.acquire(app: "a1", layout: layout, holder: "build one by a@b") { _ in }
        let (announcements, announce) = AsyncStream<String>.makeStream()
        let acquired = OutputBox()
        let second = Task {
            let lock = try await BuildLock.acquire(app: "a1", layout: layout, holder: "build two") { announce.yield($0) }
            acquired.append(Data("acquired".utf8))
            return lock
        }
        // The second build finds the lock busy and says for whom it waits…
        var heard = announcements.makeAsyncIterator()
        #expect(await heard.next() == "build one by a@b")
        #expect(acquired.text.isEmpty, "the second build went ahead while the first held the lock")
        // …and goes on once the first lets go.
        first = nil
        _ = try await second.value
        #expect(acquired.text == "acquired")
        _ = first

        // A holder process that dies releases the lock: python holds it until killed.
        let path = layout.lock("build-a2")
        let pidFile = directory.appending("holder.pid")
        try FileManager.default.createDirectory(atPath: layout.run + "/locks", withIntermediateDirectories: true)
        let holder = Task {
            try await ProcessRunner.run(
                "/usr/bin/python3",
                ["-c", "import fcntl, os, sys, time; f = open(sys.argv[1], 'w'); fcntl.flock(f, fcntl.LOCK_EX); "
                    + "open(sys.argv[2], 'w').write(str(os.getpid())); time.sleep(600)", path, pidFile])
        }
        var pid: Int32?
        while pid == nil {
            pid = (try? String(contentsOfFile: pidFile, encoding: .utf8)).flatMap { Int32($0) }
            if pid == nil { try await Task.sleep(for: .milliseconds(20)) }
        }
        let (waits, waiting) = AsyncStream<String>.makeStream()
        let blocked = Task { try await BuildLock.acquire(app: "a2", layout: layout, holder: "x") { waiting.yield($0) } }
        var told = waits.makeAsyncIterator()
        #expect(await told.next() != nil, "the lock of a live holder did not make the build wait")
        kill(pid!, SIGKILL)
        _ = try await blocked.value
        _ = try await holder.value
    }
}

@Suite(.timeLimit(.minutes(15))) struct BuildServiceTests {
    @Test func aSourceTarballBuildsInTheBackgroundAndItsOutputCanBeFollowed() async throws {
        let installation = try TestInstallation()
        let (admin, _) = try installation.seedUsers()
        let app = try installation.platform.createApp(name: "tar1", owner: nil, as: .user(admin))
        let source = TemporaryDirectory("tar-source")
        try FileManager.default.createDirectory(atPath: source.appending("src"), withIntermediateDirectories: true)
        try Data("web: ./run.sh\n".utf8).write(to: URL(fileURLWithPath: source.appending("src/Procfile")))
        try Data("#!/bin/sh\necho hi\n".utf8).write(to: URL(fileURLWithPath: source.appending("src/run.sh")))
        chmod(source.appending("src/run.sh"), 0o755)
        let tar = try await ProcessRunner.run("/usr/bin/tar", ["-czf", source.appending("source.tgz"), "-C", source.path, "src"])
        #expect(tar.status == 0)
        let pipeline = BuildPipeline(
            platform: installation.platform, resources: Resources(root: OpenrukoBinary.packageRoot), settings: BuildSettings(),
            sandbox: try Sandbox(stateDirectory: installation.layout.run + "/sandbox"))
        let builds = Builds(pipeline: pipeline)
        let build = try await builds.startBuild(
            app: app, tarball: source.appending("source.tgz"), version: "v1.0", buildpacks: nil, user: admin)
        #expect(build.status == .pending)
        var text = ""
        for await chunk in builds.output(buildID: build.id) { text += chunk }
        #expect(text.contains("-----> Procfile app detected"), "\(text)")
        #expect(text.contains("Released v2"))
        let finished = try installation.store.build(id: build.id)
        #expect(finished?.status == .succeeded)
        #expect(finished?.slugID != nil)
        #expect(try installation.store.buildOutput(id: build.id) == text)
        #expect(try installation.store.currentRelease(appID: app.id)?.description == "Deploy v1.0")
    }
}

/// Collected bytes.
final class OutputBox: @unchecked Sendable {
    // @unchecked: `data` is only touched while holding `lock`.
    private let lock = NSLock()
    private var data = Data()
    func append(_ chunk: Data) { lock.withLock { data.append(chunk) } }
    var text: String { lock.withLock { String(decoding: data, as: UTF8.self) } }
}
