import Foundation
import OpenrukoCore
import Operations
import TestSupport
import Testing

/// What dead stack builds and rebuilt stacks leave is removed once nothing uses it, and
/// nothing else is: a `stacks:build` killed with -9 leaves mmdebstrap running in its partial
/// directory (found by its command line), a retired stack a dyno still has mounted stays.
@Suite(.timeLimit(.minutes(2)), .enabled(if: geteuid() == 0, "bind mounts in a namespace of the test's need root"))
struct StackDebrisTests {
    @Test func namesOfLeftovers() {
        #expect(StackDebris.kind(of: ".partial-heroku-24.1f2e") == .partial(stack: "heroku-24"))
        #expect(StackDebris.kind(of: ".retired-web.20260101T000000Z") == .retired(stack: "web"))
        for other in ["heroku-24", ".partial-", ".partial-x.", ".retired-../etc.1", ".partial-Bad.1", "version", ".retired-ok"] {
            #expect(StackDebris.kind(of: other) == nil, "\(other)")
        }
    }

    @Test func deadBuildsAndUnusedRetiredStacksGoTheRestStays() async throws {
        let root = try TemporaryDirectory()
        let layout = DataLayout(root: root.path)
        try FileManager.default.createDirectory(atPath: layout.run + "/locks", withIntermediateDirectories: true)
        let names = [".partial-dead.1", ".partial-busy.2", ".retired-web.v1", ".retired-web.v2", "web"]
        for name in names {
            try FileManager.default.createDirectory(atPath: layout.stacks + "/\(name)/run/usr", withIntermediateDirectories: true)
        }
        // A "mmdebstrap" of a killed build, still running and naming its target.
        let orphan = try await BackgroundProcess(["/bin/sleep", "600", layout.stacks + "/.partial-dead.1/run"])
        // A build of "busy" that runs (holds the stack's lock), and a dyno with v2 mounted.
        let busy = try #require(try FileLock.attempt(layout.lock("stack-busy")))
        defer { busy.unlock() }
        let dyno = try await BackgroundProcess([
            "/usr/bin/unshare", "--mount", "--propagation", "private", "/bin/sh", "-c",
            "mkdir -p \"$0/m\" && mount --bind \"$1\" \"$0/m\" && exec sleep 600", root.path, layout.stacks + "/.retired-web.v2/run",
        ])
        defer { dyno.stop() }
        let pid = orphan.pid
        try await eventually { StackDebris(layout: layout).isMounted(".retired-web.v2") }

        let removed = StackDebris(layout: layout).clean()
        #expect(Set(removed) == [".partial-dead.1", ".retired-web.v1"])
        let left = try FileManager.default.contentsOfDirectory(atPath: layout.stacks)
        #expect(Set(left) == [".partial-busy.2", ".retired-web.v2", "web"])
        try await eventually { kill(pid, 0) != 0 }
        dyno.stop()
        try await eventually { !StackDebris(layout: layout).isMounted(".retired-web.v2") }
        #expect(StackDebris(layout: layout).clean() == [".retired-web.v2"])
    }

    func eventually(_ condition: () -> Bool) async throws {
        for _ in 0..<100 {
            if condition() { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        Issue.record("the condition never held")
    }
}
