import AppLogs
import Commands
package import OpenrukoCore

/// `openruko admin COMMAND…`: one command of the table, run locally as the superuser.
package enum AdminRunner {
    /// Runs `words` against the data directory and returns the exit status.
    package static func run(_ words: [String], layout: DataLayout) async -> Int32 {
        let io = StandardIO()
        let installation: Installation
        let logs: any LogReader
        let forwarder: LogForwarder
        do {
            (installation, logs, forwarder) = try Installation.openClient(layout)
        } catch {
            io.writeError(" !     \(error.message)\n")
            return 1
        }
        let context = CommandContext(platform: installation.platform, principal: .superuser, io: io, logs: logs)
        let status = await CommandTable.standard.run(words, in: context)
        await forwarder.finish()
        return status
    }
}
