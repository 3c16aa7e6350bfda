import Foundation
import TestSupport
import Testing

/// Connections are independent: many at once, stalled clients, killed clients, shutdown.
@Suite(.serialized, .timeLimit(.minutes(15))) struct ConcurrencyTests {
    @Test func twentySessionsAtOnceWhileTwoClientsStall() async throws {
        let bed = Testbed()
        let key = try await bed.user("dev@example.com")
        let apps = ["app-a", "app-b", "app-c", "app-d"]
        for app in apps { try await bed.app(app, owner: "dev@example.com") }
        let source = bed.directory.appending("source")
        let commit = try await GitFixture.repository(at: source)
        let big = try await bed.randomFile("big.bin", mebibytes: 20)

        try await DaemonProcess.with(executable: StreamTests.testServer, subcommand: ["serve"], dataDir: bed.data) { daemon in
            let ssh = SSHClient(port: daemon.sshPort, key: key)
            for app in apps {
                try await GitFixture.git(["push", ssh.url(app), "main"], in: source, environment: ssh.gitEnvironment)
            }
            // Stalled client 1: connects and never speaks. Stalled client 2: pushes data
            // into `cat` and never reads the echo, so its window stays closed.
            let silent = try await BackgroundProcess([
                "/usr/bin/python3", "-c", "import socket,time; s=socket.create_connection(('127.0.0.1', \(daemon.sshPort))); time.sleep(600)",
            ])
            defer { silent.stop() }
            let stalled = try await BackgroundProcess(
                ["/bin/bash", "-c", "ssh \(ssh.options.joined(separator: " ")) git@127.0.0.1 cat < \(big.path) | sleep 600"])
            defer { stalled.stop() }
            // Both hold their connection before the others start.
            let held = try await bed.eventually(seconds: 60) { try await bed.establishedConnections(to: daemon.sshPort) >= 2 }
            #expect(held, "the stalled clients never connected")

            let failures = try await withThrowingTaskGroup(of: String?.self) { group in
                for i in 0..<8 {
                    group.addTask {
                        let result = try await ProcessRunner.run(
                            "/usr/bin/git", ["-C", source, "push", ssh.url(apps[i % 4]), "main:refs/heads/b\(i)"], environment: ssh.gitEnvironment)
                        return result.status == 0 ? nil : "push \(i): \(result.stderr)"
                    }
                }
                for i in 0..<6 {
                    group.addTask {
                        let target = bed.directory.appending("clone\(i)")
                        let result = try await ProcessRunner.run(
                            "/usr/bin/git", ["clone", "-q", ssh.url(apps[i % 4]), target], environment: ssh.gitEnvironment)
                        let cloned = FileManager.default.fileExists(atPath: target + "/README")
                        return result.status == 0 && cloned ? nil : "clone \(i): \(result.stderr)"
                    }
                }
                for i in 0..<6 {
                    group.addTask {
                        let result = try await ssh.run(i % 2 == 0 ? "whoami" : "config:set \(apps[i % 4]) K\(i)=v\(i)")
                        return result.status == 0 ? nil : "command \(i): \(result.stderr)"
                    }
                }
                return try await group.reduce(into: [String]()) { if let failure = $1 { $0.append(failure) } }
            }
            #expect(failures.isEmpty, "\(failures)")
            for i in 0..<8 {
                #expect(try await GitFixture.commit(of: "refs/heads/b\(i)", inBare: bed.repo(apps[i % 4])) == commit)
            }
            #expect(stalled.isRunning, "the stalled client was served, not dropped")
            // Once the stalled clients are gone, the server lets go of their connections: the
            // `cat` blocked writing to a client that no longer reads is stopped, not left holding
            // its connection (and a thread) for good.
            silent.stop()
            stalled.stop()
            let released = try await bed.eventually(seconds: 60) { try await bed.establishedConnections(from: daemon.sshPort) == 0 }
            #expect(released, "the server still holds a connection of a client that is gone")
        }
    }

    @Test func aClientKilledMidPushLeavesNoProcessBehind() async throws {
        let bed = Testbed()
        let key = try await bed.user("dev@example.com")
        try await bed.app("web1", owner: "dev@example.com")
        let source = bed.directory.appending("source")
        try FileManager.default.createDirectory(atPath: source, withIntermediateDirectories: true)
        let made = try await bed.shell("head -c 60M /dev/urandom > \(source)/blob.bin")
        try #require(made.status == 0)
        try await GitFixture.repository(at: source)

        try await DaemonProcess.with(dataDir: bed.data) { daemon in
            let ssh = SSHClient(port: daemon.sshPort, key: key)
            let push = try await BackgroundProcess(["/usr/bin/env", "GIT_SSH_COMMAND=\(ssh.gitSSHCommand)", "/usr/bin/git", "-C", source, "push", ssh.url("web1"), "main"])

            // Kill the client once the server side is receiving the pack.
            let receiving = await bed.eventually(seconds: 60) {
                bed.processesInDataDirectory(except: daemon.pid).contains { $0.contains("index-pack") || $0.contains("unpack-objects") }
            }
            try #require(receiving, "the push never reached index-pack")
            let clients = bed.processesOf(containing: key.privateKeyPath)
            try #require(!clients.isEmpty)
            for pid in clients { kill(pid, SIGKILL) }
            #expect(await bed.eventually(seconds: 30) { !push.isRunning }, "git push ends once its ssh is killed")

            let cleaned = await bed.eventually(seconds: 30) { bed.processesInDataDirectory(except: daemon.pid).isEmpty }
            #expect(cleaned, "left behind: \(bed.processesInDataDirectory(except: daemon.pid))")
            #expect(try await GitFixture.commit(of: "refs/heads/main", inBare: bed.repo("web1")) == nil)
            #expect(try await ssh.run("whoami").stdout == "dev@example.com\n", "the daemon still serves")
        }
    }

    @Test func sigtermStopsTheDaemonGracefully() async throws {
        let bed = Testbed()
        let key = try await bed.user("dev@example.com")
        let daemon = try await DaemonProcess.start(dataDir: bed.data)
        let ssh = SSHClient(port: daemon.sshPort, key: key)
        #expect(try await ssh.run("whoami").status == 0)
        let idle = try await BackgroundProcess(["/usr/bin/ssh"] + ssh.options + ["-N", "git@127.0.0.1"])
        let connected = try await bed.eventually(seconds: 60) { try await bed.establishedConnections(to: daemon.sshPort) >= 1 }
        #expect(connected, "the idle client never connected")

        #expect(await daemon.stop() == 0, "\(daemon.log)")
        #expect(daemon.log.contains("SSH server stopped"))
        let disconnected = await bed.eventually(seconds: 10) { !idle.isRunning }
        #expect(disconnected, "the idle connection was closed")
        idle.stop()
        #expect(!FileManager.default.fileExists(atPath: bed.data + "/daemon.json"))
    }
}

extension ConcurrencyTests {
    @Test func sigtermLetsARunningSessionFinish() async throws {
        let bed = Testbed()
        let key = try await bed.user("dev@example.com")
        let daemon = try await DaemonProcess.start(executable: StreamTests.testServer, subcommand: ["serve"], dataDir: bed.data)
        let ssh = SSHClient(port: daemon.sshPort, key: key)
        let marker = bed.directory.appending("started")
        // The session echoes a first line (proof it runs), then waits for the second.
        async let session = bed.shell(
            "(echo started; sleep 3; echo finished) | ssh \(ssh.options.joined(separator: " ")) git@127.0.0.1 cat"
                + " | { read first; echo \"$first\" > \(marker); cat; }")
        let running = await bed.eventually(seconds: 30) { FileManager.default.fileExists(atPath: marker) }
        try #require(running)
        let stopped = await daemon.stop()
        let result = try await session
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == "finished\n")
        #expect(stopped == 0, "\(daemon.log)")
    }
}

extension Testbed {
    /// Process ids whose command line contains `text`.
    func processesOf(containing text: String) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { entry in
            guard let pid = Int32(entry), pid != getpid() else { return nil }
            let raw = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") ?? Data()
            return String(decoding: raw.map { $0 == 0 ? 32 : $0 }, as: UTF8.self).contains(text) ? pid : nil
        }
    }
}
