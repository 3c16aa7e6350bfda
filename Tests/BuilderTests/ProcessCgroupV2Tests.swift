import Foundation
import Testing
import TestSupport

@testable import Isolation

/// The cgroup v2 path of `ProcessCgroup`. The machines here mount v1 with the memory, pids and
/// cpu controllers bound to it, and the kernel enables a controller in one hierarchy only: a
/// cgroup2 mount (`mount -t cgroup2`) offers none of them (`+memory` fails), so the limits
/// cannot be enforced by a real v2 hierarchy here. What can be run honestly is run: the files
/// openruko writes, against a v2-shaped tree; and against a real cgroup2 mount, joining a
/// cgroup and killing it as a whole with `cgroup.kill`.
@Suite(.timeLimit(.minutes(5))) struct ProcessCgroupV2Tests {
    /// This process's place in the v2 hierarchy (`0::/PATH`).
    static func ownPath() throws -> String {
        let text = try String(contentsOfFile: "/proc/self/cgroup", encoding: .utf8)
        return try #require(ProcessCgroup.path(of: "", in: text), "no cgroup v2 line in \(text)")
    }

    static func read(_ path: String) -> String {
        ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test func aBuildCgroupGetsV2LimitsInsideItsSharedGroup() throws {
        let root = TemporaryDirectory("openruko-cgroup2")
        let base = root.path + (try Self.ownPath())
        // The kernel makes a cgroup's interface files with its directory; here they are made first.
        let group = base + "/openruko-builds"
        let own = group + "/openruko-build-1"
        try FileManager.default.createDirectory(atPath: own, withIntermediateDirectories: true)
        for file in [
            root.path + "/cgroup.controllers", group + "/cpu.weight", group + "/cgroup.subtree_control", own + "/memory.max",
            own + "/pids.max", own + "/cpu.weight", own + "/cgroup.procs",
        ] {
            #expect(FileManager.default.createFile(atPath: file, contents: nil))
        }
        let limits = ProcessCgroup.Limits(memoryBytes: 200 << 20, processes: 64, cpuShares: ProcessCgroup.Limits.buildCPUShares)
        let cgroup = try #require(ProcessCgroup.create(name: "openruko-build-1", limits: limits, group: "openruko-builds", root: root.path))
        #expect(cgroup.unified)
        #expect(cgroup.directories == [own])
        #expect(cgroup.procsFiles == [own + "/cgroup.procs"])
        #expect(Self.read(own + "/memory.max") == String(200 << 20))
        #expect(Self.read(own + "/pids.max") == "64")
        #expect(Self.read(own + "/cpu.weight") == "25", "cpu.shares 256 of 1024 is weight 25 of 100")
        #expect(Self.read(group + "/cpu.weight") == "25", "every build together weighs as one")
        #expect(Self.read(group + "/cgroup.subtree_control") == "+memory +pids +cpu")
        #expect(ProcessCgroup.parents(root: root.path) == [base])
    }

    @Test func v2MemoryFilesAreReadAsHerokuCountsThem() throws {
        let root = TemporaryDirectory("openruko-cgroup2")
        let cgroup = ProcessCgroup(directories: [root.path], memoryDirectory: root.path, unified: true)
        #expect(!cgroup.ranOutOfMemory)
        try "anon 1000\nfile 700\nshmem 300\nswap 20\npgfault 9\n".write(toFile: root.path + "/memory.stat", atomically: true, encoding: .utf8)
        try "low 0\nhigh 0\nmax 4\noom 2\noom_kill 2\noom_group_kill 0\n".write(
            toFile: root.path + "/memory.events", atomically: true, encoding: .utf8)
        let stat = cgroup.memoryStat
        #expect(stat.rss == 1300, "tmpfs (shmem) counts as the processes' own")
        #expect(stat.cache == 400)
        #expect(stat.total == 1320)
        #expect(cgroup.oomKills == 2 && cgroup.ranOutOfMemory)
    }

    @Test(.enabled(if: geteuid() == 0, "mounting cgroup2 needs root"))
    func aRealCgroup2MountJoinsAndKillsAWholeCgroup() async throws {
        let mount = TemporaryDirectory("openruko-cgroup2-mount")
        let mounted = try await ProcessRunner.run("/usr/bin/mount", ["-t", "cgroup2", "none", mount.path])
        try #require(mounted.status == 0, "\(mounted.stderr)")
        do {
            try await Self.joinAndKill(root: mount.path)
        } catch {
            _ = try? await ProcessRunner.run("/usr/bin/umount", ["--lazy", mount.path])
            throw error
        }
        _ = try? await ProcessRunner.run("/usr/bin/umount", ["--lazy", mount.path])
    }

    /// Makes a cgroup under the cgroup2 mount `root`, has a process join it as a sandbox's
    /// launcher does, then kills everything in it at once.
    static func joinAndKill(root: String) async throws {
        let name = "openruko-v2test-\(getpid())"
        let limits = ProcessCgroup.Limits(memoryBytes: 64 << 20, processes: 16)
        let cgroup = try #require(ProcessCgroup.create(name: name, limits: limits, root: root))
        #expect(cgroup.unified && cgroup.directories.count == 1)
        let joined = try await BackgroundProcess(["/bin/sh", "-c", "echo $$ > \(cgroup.procsFiles[0]) && exec sleep 300"])
        defer { joined.stop() }
        var members: [String] = []
        for _ in 0..<200 where members.isEmpty {
            members = read(cgroup.procsFiles[0]).split(separator: "\n").map(String.init)
            if members.isEmpty { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(members.count == 1, "the launcher joined: \(members)")
        #expect(ProcessCgroup.killAll(name: name, root: root) == 0, "cgroup.kill, not one signal per process")
        var gone = false
        for _ in 0..<200 where !gone {
            gone = read(cgroup.procsFiles[0]).isEmpty
            if !gone { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(gone, "cgroup.kill ended the cgroup's processes")
        await cgroup.removeWhenEmpty()
        #expect(!FileManager.default.fileExists(atPath: cgroup.directories[0]))
    }
}
