import Foundation
import Isolation

/// `openruko-bench sandbox-start N`: the start of a dyno's sandbox, three ways, N runs each
/// (interleaved), printing one median per line in seconds: a bare `bwrap … true` (the
/// baseline), openruko's sandbox on the host network, and a dyno's whole start (a network
/// namespace leased and released, a cgroup made, joined and removed, then the sandbox).
enum SandboxStartBench {
    static func run(iterations: Int, state: String) async throws {
        let sandbox = try Sandbox(stateDirectory: state + "/plain")
        let network = try SandboxNetwork.kernel()
        let dynos = try Sandbox(stateDirectory: state + "/dyno", network: network)
        try await network?.prepareHost(tag: "openruko-bench")
        var bare: [Double] = [], plain: [Double] = [], dyno: [Double] = []
        let command = SandboxConfiguration(command: ["/bin/true"], network: false)
        for index in 0..<iterations {
            bare.append(try await time { try await runBare(sandbox) })
            plain.append(try await time { _ = try await sandbox.run(command) { _ in } })
            dyno.append(
                try await time {
                    var configuration = command
                    configuration.network = true
                    let cgroup = ProcessCgroup.create(
                        name: "openruko-bench-\(getpid())-\(index)", limits: .init(memoryBytes: 1 << 30, processes: 256, cpuShares: 1024))
                    configuration.cgroupProcs = cgroup?.procsFiles ?? []
                    _ = try await dynos.run(configuration) { _ in }
                    await cgroup?.removeWhenEmpty()
                })
        }
        for values in [bare, plain, dyno] { print(values.sorted()[values.count / 2]) }
    }

    /// bubblewrap alone with the same namespaces and `/usr`, as a shell would start it.
    static func runBare(_ sandbox: Sandbox) async throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: sandbox.bubblewrap)
        process.arguments = [
            "--die-with-parent", "--unshare-all", "--ro-bind", "/usr", "/usr", "--symlink", "usr/bin", "/bin",
            "--symlink", "usr/lib", "/lib", "--symlink", "usr/lib64", "/lib64", "--proc", "/proc", "--dev", "/dev", "/bin/true",
        ]
        try process.run()
        process.waitUntilExit()
    }

    static func time(_ body: () async throws -> Void) async throws -> Double {
        let start = ContinuousClock.now
        try await body()
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }
}
