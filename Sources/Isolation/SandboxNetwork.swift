import Foundation
package import OpenrukoCore
import Subprocess
import SystemPackage

/// One dyno's or build's network namespace: its name under `/run/netns` and its address.
package struct NetworkLease: Sendable, Hashable {
    package let index: Int
    package let address: String
    package var namespace: String { NetworkPlan.namespace(index: index) }
    /// What `nsenter --net=` joins.
    package var path: String { "/run/netns/" + namespace }
}

/// Carries out a `NetworkPlan` with iproute2 and iptables (openruko as root): prepares the
/// bridge and the host's rules, and leases a fresh namespace to each dyno instance and build.
/// Leases are files `lease-N` (holding the owner's pid) in a directory shared by every openruko
/// process on the host, so the daemon and its git hooks never hand out one address twice;
/// those of a dead owner are removed, with their namespaces, by `removeStale()`.
///
/// ```swift
/// if let network = try SandboxNetwork.kernel() {
///     try await network.prepareHost(tag: "openruko-abc")
///     let lease = try await network.lease()      // run `nsenter --net=\(lease.path)` …
///     await network.release(lease)
/// }
/// ```
package struct SandboxNetwork: Sendable {
    package let plan: NetworkPlan
    /// Where leases live (host-wide).
    let directory: String

    /// The host-wide lease directory.
    static let defaultDirectory = "/run/openruko/network"

    package init(plan: NetworkPlan, directory: String = defaultDirectory) {
        self.plan = plan
        self.directory = directory
    }

    /// The kernel network of a root openruko from `OPENRUKO_DYNO_SUBNET` and
    /// `OPENRUKO_DYNO_ALLOW`; nil when openruko is not root or `OPENRUKO_DYNO_NETWORK=host`
    /// (dynos then share the host's network, as the README says).
    /// - Throws: `OpenrukoError.invalid` for a bad setting.
    package static func kernel(environment: [String: String] = ProcessInfo.processInfo.environment) throws(OpenrukoError)
        -> SandboxNetwork?
    {
        guard geteuid() == 0, environment["OPENRUKO_DYNO_NETWORK"] != "host" else { return nil }
        // A git hook started without the daemon's settings uses the subnet the daemon prepared.
        let prepared = (try? String(contentsOfFile: defaultDirectory + "/subnet", encoding: .utf8))
        let plan = try NetworkPlan(
            subnet: environment["OPENRUKO_DYNO_SUBNET"] ?? prepared ?? NetworkPlan.defaultSubnet,
            allow: environment["OPENRUKO_DYNO_ALLOW"] ?? "")
        return SandboxNetwork(plan: plan)
    }

    /// Creates the bridge when missing, sets the kernel switches, rewrites openruko's chains
    /// and the services this daemon (`tag`) allows. Safe to repeat; serialized host-wide.
    /// - Throws: `OpenrukoError.unavailable` naming the command that failed.
    package func prepareHost(tag: String) async throws(OpenrukoError) {
        try createDirectory()
        let lock = try await FileLock.acquire(directory + "/host.lock")
        defer { lock.unlock() }
        if !FileManager.default.fileExists(atPath: "/sys/class/net/" + NetworkPlan.bridge) {
            for command in plan.bridgeCommands { try await Self.execute(command) }
        }
        for (key, value) in plan.sysctls {
            do {
                try value.write(toFile: "/proc/sys/" + key, atomically: false, encoding: .utf8)
            } catch {
                throw OpenrukoError(.unavailable, "Cannot set \(key) to \(value) for dyno networking: \(error.localizedDescription)")
            }
        }
        for (table, chain) in NetworkPlan.serviceChains where !(await Self.succeeds(["iptables", "-t", table, "-S", chain])) {
            try await Self.execute(["iptables", "-t", table, "-N", chain])
        }
        try await Self.execute(["iptables-restore", "--noflush"], input: plan.rules)
        for jump in NetworkPlan.jumps where !(await Self.succeeds(["iptables", "-t", jump.table, "-C", jump.chain] + jump.rule)) {
            try await Self.execute(["iptables", "-t", jump.table, "-I", jump.chain, "1"] + jump.rule)
        }
        try await removeServiceRules(tag: tag)
        for (table, rule) in plan.serviceRules(tag: tag) { try await Self.execute(["iptables", "-t", table] + rule) }
        try? plan.subnet.write(toFile: directory + "/subnet", atomically: true, encoding: .utf8)
    }

    /// Lets dynos reach one more host TCP service (a service of openruko's own, such as the
    /// add-on PostgreSQL server on `127.0.0.1:PORT`), marked with `tag` like `OPENRUKO_DYNO_ALLOW`'s
    /// (call after `prepareHost`, which clears the tag's rules).
    /// - Throws: `OpenrukoError` for a bad address or a failed iptables command.
    package func allow(address: String, port: Int, tag: String) async throws(OpenrukoError) {
        let extra = try NetworkPlan(subnet: plan.subnet, allow: "\(address):\(port)")
        let lock = try await FileLock.acquire(directory + "/host.lock")
        defer { lock.unlock() }
        for (table, rule) in extra.serviceRules(tag: tag) { try await Self.execute(["iptables", "-t", table] + rule) }
    }

    /// Takes back what `allow(address:port:tag:)` let dynos reach (an add-on server that is
    /// destroyed: its port may later be another host service's).
    /// - Throws: `OpenrukoError` for a bad address.
    package func disallow(address: String, port: Int, tag: String) async throws(OpenrukoError) {
        let extra = try NetworkPlan(subnet: plan.subnet, allow: "\(address):\(port)")
        let lock = try await FileLock.acquire(directory + "/host.lock")
        defer { lock.unlock() }
        for (table, rule) in extra.serviceRules(tag: tag) {
            let deletion = ["iptables", "-t", table, "-D"] + rule.dropFirst()
            for _ in 0..<8 {  // each copy, if a rule was added twice
                guard await Self.succeeds(deletion) else { break }
            }
        }
    }

    /// Removes the allowed-service rules of `tag` (a daemon that stops).
    package func withdraw(tag: String) async {
        guard let lock = try? await FileLock.acquire(directory + "/host.lock") else { return }
        defer { lock.unlock() }
        try? await removeServiceRules(tag: tag)
    }

    private func removeServiceRules(tag: String) async throws(OpenrukoError) {
        for (table, chain) in NetworkPlan.serviceChains {
            let listing = try await Self.execute(["iptables", "-t", table, "-S", chain])
            for line in listing.split(separator: "\n") where line.hasPrefix("-A ") && line.split(separator: " ").contains(Substring(tag)) {
                try await Self.execute(["iptables", "-t", table, "-D"] + line.split(separator: " ").dropFirst().map(String.init))
            }
        }
    }

    /// A new namespace with its own address, owned by this process until `release(_:)`.
    /// - Throws: `OpenrukoError.unavailable` when no address is free or a command failed.
    package func lease() async throws(OpenrukoError) -> NetworkLease {
        try createDirectory()
        for _ in 0..<64 {
            let index = Int.random(in: plan.indexes)
            guard claim(index) else { continue }
            let lease = NetworkLease(index: index, address: plan.address(index: index))
            // A namespace without a lease file is debris of an owner that died while releasing it.
            if FileManager.default.fileExists(atPath: lease.path) { await Self.run(["ip", "netns", "delete", lease.namespace]) }
            do {
                try await Self.execute(["ip", "-batch", "-"], input: plan.outside(index: index))
                try await Self.execute(["ip", "-n", lease.namespace, "-batch", "-"], input: plan.inside(index: index))
            } catch {
                await release(lease)
                throw error
            }
            return lease
        }
        throw OpenrukoError(.unavailable, "No free dyno address in \(plan.subnet) (OPENRUKO_DYNO_SUBNET): too many dynos and builds.")
    }

    /// Deletes the namespace (its veth pair goes with it) and frees the address.
    package func release(_ lease: NetworkLease) async {
        await Self.run(["ip", "netns", "delete", lease.namespace])
        unlink(leaseFile(lease.index))
    }

    /// Removes the namespaces and leases of owners that are gone (a daemon or hook killed
    /// with `kill -9`). Returns how many it removed.
    @discardableResult
    package func removeStale() async -> Int {
        var removed = 0
        for name in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [] where name.hasPrefix("lease-") {
            guard let index = Int(name.dropFirst("lease-".count)) else { continue }
            let owner = (try? String(contentsOfFile: leaseFile(index), encoding: .utf8)).flatMap { pid_t($0) }
            if let owner, owner == getpid() || kill(owner, 0) == 0 || errno == EPERM { continue }
            // No pid yet: another process is between creating the file and writing to it.
            if owner == nil, Self.age(leaseFile(index)) < 60 { continue }
            await release(NetworkLease(index: index, address: plan.address(index: index)))
            removed += 1
        }
        for name in (try? FileManager.default.contentsOfDirectory(atPath: "/run/netns")) ?? [] where name.hasPrefix("openruko-") {
            guard let index = Int(name.dropFirst("openruko-".count)), !FileManager.default.fileExists(atPath: leaseFile(index)) else {
                continue
            }
            await Self.run(["ip", "netns", "delete", name])
            removed += 1
        }
        return removed
    }

    func leaseFile(_ index: Int) -> String { directory + "/lease-\(index)" }

    /// Seconds since `path` was last modified (infinite when it cannot be read).
    static func age(_ path: String) -> Double {
        guard let modified = (try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date else {
            return .infinity
        }
        return Date().timeIntervalSince(modified)
    }

    /// Creates `lease-N` holding this process's pid; false when it exists.
    func claim(_ index: Int) -> Bool {
        do {
            let fd = try FileDescriptor.open(
                FilePath(leaseFile(index)), .writeOnly, options: [.create, .exclusiveCreate, .closeOnExec],
                permissions: [.ownerReadWrite])
            _ = try fd.closeAfter { try fd.writeAll(Array(String(getpid()).utf8)) }
            return true
        } catch {
            return false
        }
    }

    func createDirectory() throws(OpenrukoError) {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw OpenrukoError(.unavailable, "Cannot create \(directory) for dyno networking: \(error.localizedDescription)")
        }
    }

    /// Runs a host command with the fixed host environment and returns its output.
    /// - Throws: `OpenrukoError.unavailable` with the command and its error output.
    @discardableResult
    static func execute(_ command: [String], input: String? = nil) async throws(OpenrukoError) -> String {
        let result: (ok: Bool, output: String, error: String)
        do {
            result = try await spawn(command, input: input)
        } catch {
            throw OpenrukoError(
                .unavailable,
                "Cannot run \(command[0]) for dyno networking (\(error)): install iproute2 and iptables (scripts/install-deps), "
                    + "or let dynos share the host's network with OPENRUKO_DYNO_NETWORK=host.")
        }
        guard result.ok else {
            throw OpenrukoError(
                .unavailable,
                "Dyno networking failed: \(command.joined(separator: " ")): \(result.error.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        return result.output
    }

    /// Runs a host command whose failure does not matter.
    static func run(_ command: [String]) async { _ = try? await spawn(command, input: nil) }

    /// Whether a host command exits 0.
    static func succeeds(_ command: [String]) async -> Bool { (try? await spawn(command, input: nil))?.ok ?? false }

    private static func spawn(_ command: [String], input: String?) async throws -> (ok: Bool, output: String, error: String) {
        let environment = Sandbox.hostSubprocessEnvironment
        let directories = (Sandbox.hostEnvironment["PATH"] ?? "/usr/sbin:/usr/bin").split(separator: ":")
        let path = directories.map { "\($0)/\(command[0])" }.first { FileManager.default.isExecutableFile(atPath: $0) }
        let executable = Executable.path(FilePath(path ?? command[0]))
        let arguments = Arguments(Array(command.dropFirst()))
        let result = try await Subprocess.run(
            executable, arguments: arguments, environment: .custom(environment), input: .string(input ?? ""),
            output: .string(limit: 1 << 20), error: .string(limit: 64 << 10))
        return (result.terminationStatus.isSuccess, result.standardOutput, result.standardError)
    }
}
