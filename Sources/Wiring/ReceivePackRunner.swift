import AppLogs
import Builder
import Foundation
import OpenrukoCore
import Operations

/// The two commands around a push's ref update: `openruko hook receive-pack`, which
/// `GitService` runs instead of git receive-pack so that the push's build lock covers git's
/// ref update, and `openruko hook reference-transaction`, which git runs for each ref
/// transaction and which lands the push's release and ends that hold (see `ReceivePackLock`).
package enum ReceivePackRunner {
    /// `openruko hook receive-pack GIT ARGS…`: execs git receive-pack with the app's build
    /// lock file open for its hooks (`OPENRUKO_DATA_DIR` and `OPENRUKO_APP` name it).
    /// - Returns: the exit status, only when git could not be started.
    package static func receivePack(_ arguments: [String], environment: [String: String] = ProcessInfo.processInfo.environment) -> Int32 {
        guard let root = environment["OPENRUKO_DATA_DIR"], root.hasPrefix("/"), let app = environment["OPENRUKO_APP"], !app.isEmpty
        else {
            FileHandle.standardError.write(
                Data(" !     openruko hook receive-pack runs inside a push to openruko (OPENRUKO_DATA_DIR or OPENRUKO_APP is not set).\n".utf8))
            return 1
        }
        let error = ReceivePackLock.exec(arguments, app: app, layout: DataLayout(root: root))
        FileHandle.standardError.write(Data(" !     \(error.message)\n".utf8))
        return 1
    }

    /// `openruko hook reference-transaction STATE`: once git has committed the update of the
    /// branch a push deployed, lands the push's held release (`HeldDeploySettler`), then
    /// releases the push's build lock (also when git aborted: the daemon fails that release).
    /// Always succeeds: in the `prepared` state a failure would make git abort the update.
    package static func referenceTransaction(state: String, environment: [String: String] = ProcessInfo.processInfo.environment) async {
        let input = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
        guard let descriptor = ReceivePackLock.endingHold(state: state, updates: RefUpdate.parse(input), environment: environment)
        else { return }
        defer { ReceivePackLock.release(descriptor) }
        guard state == "committed", let root = environment["OPENRUKO_DATA_DIR"], let name = environment["OPENRUKO_APP"],
            let (installation, _, forwarder) = try? Installation.openClient(DataLayout(root: root), environment: environment),
            let app = try? installation.platform.deployTarget(name)
        else { return }
        await HeldDeploySettler.settle(platform: installation.platform, appID: app.id, holdingLock: true)
        await forwarder.finish()
    }
}
