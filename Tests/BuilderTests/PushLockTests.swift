@testable import Builder
import Foundation
import OpenrukoCore
import Testing
import TestSupport

/// A push's ref updates checked once it holds the build lock, and the lock kept by git
/// receive-pack until the branch moved.
@Suite(.timeLimit(.minutes(15))) struct StalePushTests {
    let zero = String(repeating: "0", count: 40)
    let a = String(repeating: "a", count: 40)
    let b = String(repeating: "b", count: 40)
    let c = String(repeating: "c", count: 40)

    @Test func aPushThatFindsItsRefsWhereItExpectedThemGoesOn() {
        let creates = RefUpdate(old: zero, new: a, ref: "refs/heads/main")
        #expect(StalePush.refusal(app: "web1", updates: [creates], observed: [:]) == nil)
        #expect(StalePush.refusal(app: "web1", updates: [creates], observed: ["refs/heads/main": .init(value: nil)]) == nil)
        let moves = RefUpdate(old: a, new: b, ref: "refs/heads/main")
        #expect(StalePush.refusal(app: "web1", updates: [moves], observed: ["refs/heads/main": .init(value: a)]) == nil)
        let deletes = RefUpdate(old: a, new: zero, ref: "refs/heads/master")
        #expect(StalePush.refusal(app: "web1", updates: [deletes], observed: ["refs/heads/master": .init(value: a)]) == nil)
    }

    @Test func aBranchCreatedMeanwhileRefusesTheCreatingPush() throws {
        let refusal = try #require(
            StalePush.refusal(
                app: "web1", updates: [RefUpdate(old: zero, new: b, ref: "refs/heads/main")],
                observed: ["refs/heads/main": .init(value: a)]))
        #expect(refusal == """
            [rejected] main (fetch first)
            main was created since this push started (another push made it aaaaaaa); this push expected it not to exist.
            Nothing was built or released.
            Fetch the new commits and integrate them (e.g. git pull), then push again.
            """)
    }

    @Test func aBranchMovedOrDeletedMeanwhileRefusesThePush() throws {
        let moved = try #require(
            StalePush.refusal(
                app: "web1", updates: [RefUpdate(old: a, new: c, ref: "refs/heads/main")],
                observed: ["refs/heads/main": .init(value: b)]))
        #expect(moved.contains("main moved since this push started (another push updated it): it is at bbbbbbb, this push expected aaaaaaa."))
        let deleted = try #require(
            StalePush.refusal(app: "web1", updates: [RefUpdate(old: a, new: c, ref: "refs/heads/main")], observed: [:]))
        #expect(deleted.contains("main was deleted since this push started; this push expected it at aaaaaaa."))
    }

    @Test func everyRefOfThePushIsChecked() throws {
        let updates = [RefUpdate(old: zero, new: a, ref: "refs/heads/main"), RefUpdate(old: a, new: b, ref: "refs/heads/feature")]
        let refusal = try #require(
            StalePush.refusal(app: "web1", updates: updates, observed: ["refs/heads/feature": .init(value: c)]))
        #expect(refusal.hasPrefix("[rejected] feature (fetch first)\n"))
        #expect(!refusal.contains("[rejected] main"))
    }

    @Test func aLeftoverGitLockFileRefusesThePushBeforeGitWould() throws {
        let refusal = try #require(
            StalePush.refusal(
                app: "web1", updates: [RefUpdate(old: a, new: b, ref: "refs/heads/main")],
                observed: ["refs/heads/main": .init(value: a, locked: true)]))
        #expect(refusal == """
            [rejected] main (locked)
            git's lock file refs/heads/main.lock exists in the repository of web1, so git would refuse to move main.
            Nothing was built or released.
            If no push to web1 is running, an admin can delete repos/web1.git/refs/heads/main.lock in the data directory; then push again.
            """)
    }

    @Test func theLockFileNamesItsHolderAndTheRefAHandedOverLockWaitsFor() {
        #expect(BuildLock.contents("build 1 by a@b\n") == ("build 1 by a@b", nil))
        #expect(BuildLock.contents("build 1 by a@b\nuntil refs/heads/main\n") == ("build 1 by a@b", "refs/heads/main"))
        #expect(BuildLock.contents("") == ("", nil))
    }

    @Test func onlyTheEndOfTheHandedOverRefsTransactionReleasesTheLock() {
        let main = "refs/heads/main"
        #expect(ReceivePackLock.releases(state: "committed", refs: [main], handedOver: main))
        #expect(ReceivePackLock.releases(state: "aborted", refs: ["refs/heads/x", main], handedOver: main))
        #expect(!ReceivePackLock.releases(state: "prepared", refs: [main], handedOver: main))
        #expect(!ReceivePackLock.releases(state: "committed", refs: ["refs/heads/master"], handedOver: main))
        #expect(!ReceivePackLock.releases(state: "committed", refs: [main], handedOver: nil))
    }
}

/// The lock as a push uses it: locked through the descriptor receive-pack opened, kept after
@Suite(.timeLimit(.minutes(15))) struct ReceivePackLockTests {
    /// Whether another open file (another push) could take the lock now.
    func isFree(_ path: String) -> Bool {
        let other = open(path, O_RDWR | O_CLOEXEC)
        defer { close(other) }
        return flock(other, LOCK_EX | LOCK_NB) == 0
    }

    /// The lock file opened as `openruko hook receive-pack` does, and the environment its
    /// hooks see.
    func receivePack(_ layout: DataLayout) throws -> (descriptor: Int32, environment: [String: String]) {
        let path = layout.lock("build-web1")
        try FileManager.default.createDirectory(atPath: layout.run + "/locks", withIntermediateDirectories: true)
        let descriptor = open(path, O_RDWR | O_CREAT, 0o600)
        try #require(descriptor >= 0)
        return (
            descriptor,
            ["OPENRUKO_DATA_DIR": layout.root, "OPENRUKO_APP": "web1", ReceivePackLock.environmentKey: String(descriptor)]
        )
    }

    @Test func aHandedOverLockOutlivesTheHookUntilItsRefIsCommitted() async throws {
        let directory = TemporaryDirectory("receive-pack-lock")
        let layout = DataLayout(root: directory.path)
        let (receivePack, environment) = try receivePack(layout)
        defer { close(receivePack) }
        let path = layout.lock("build-web1")
        let inherited = try #require(ReceivePackLock.inherited(environment: environment, app: "web1", layout: layout))
        // The hook's own copy of the descriptor (a hook process inherits a duplicate).
        let hookCopy = dup(inherited)
        do {
            let lock = try await BuildLock.acquire(app: "web1", layout: layout, holder: "build 1", inherited: hookCopy) { _ in }
            #expect(!isFree(path))
            lock.handOver(until: "refs/heads/main")
        }
        #expect(!isFree(path), "the lock ended with the hook")
        #expect(BuildLock.contents(try String(contentsOfFile: path, encoding: .utf8)).until == "refs/heads/main")

        ReceivePackLock.transactionEnded(
            state: "prepared", updates: [RefUpdate(old: "0", new: "1", ref: "refs/heads/main")], environment: environment)
        ReceivePackLock.transactionEnded(
            state: "committed", updates: [RefUpdate(old: "0", new: "1", ref: "refs/heads/other")], environment: environment)
        #expect(!isFree(path), "released before git moved the deployed branch")
        ReceivePackLock.transactionEnded(
            state: "committed", updates: [RefUpdate(old: "0", new: "1", ref: "refs/heads/main")], environment: environment)
        #expect(isFree(path))
    }

    @Test func aRefusedPushReleasesTheLockAtOnce() async throws {
        let directory = TemporaryDirectory("receive-pack-lock")
        let layout = DataLayout(root: directory.path)
        let (receivePack, environment) = try receivePack(layout)
        defer { close(receivePack) }
        let inherited = try #require(ReceivePackLock.inherited(environment: environment, app: "web1", layout: layout))
        do {
            let lock = try await BuildLock.acquire(app: "web1", layout: layout, holder: "build 1", inherited: dup(inherited)) { _ in }
            withExtendedLifetime(lock) { #expect(!isFree(layout.lock("build-web1"))) }
        }
        #expect(isFree(layout.lock("build-web1")))
    }

    @Test func aDescriptorThatIsNotTheAppsLockFileIsIgnored() throws {
        let directory = TemporaryDirectory("receive-pack-lock")
        let layout = DataLayout(root: directory.path)
        let (receivePack, environment) = try receivePack(layout)
        defer { close(receivePack) }
        #expect(ReceivePackLock.inherited(environment: environment, app: "web2", layout: layout) == nil)
        #expect(ReceivePackLock.inherited(environment: [ReceivePackLock.environmentKey: "1"], app: "web1", layout: layout) == nil)
        #expect(ReceivePackLock.inherited(environment: [:], app: "web1", layout: layout) == nil)
    }
}
