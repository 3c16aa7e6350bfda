import Foundation
import OpenrukoCore
import SSHFrontend
import Synchronization

extension Daemon {
    /// The embedded SSH server on `--ssh-listen`. `ssh -L` may reach only the API
    /// listener: its configured address until the API reports the address it bound.
    func sshServer() throws -> SSHServer {
        let resources = try Resources.locate()
        let dispatcher = ExecDispatcher(platform: installation.platform, resources: resources)
        let api = APIAddress(configuration.apiListen)
        let registry = self.registry
        Task {
            if let bound = await registry.waitForAll()["api"], let address = try? ListenAddress(parsing: bound, option: "api") {
                api.update(address)
            }
        }
        let context = SSHServerContext(
            dispatcher: dispatcher, table: commandTable, logs: logs, forwardPolicy: { ForwardPolicy(api: api.current) }, logger: logger)
        var server = SSHServer(listen: configuration.sshListen, hostKeyDirectory: configuration.layout.ssh, context: context, registry: registry)
        if let perSource = try Self.unauthenticatedPerSource(ProcessInfo.processInfo.environment) {
            server.unauthenticatedPerSource = perSource
        }
        return server
    }

    /// `OPENRUKO_SSH_UNAUTHENTICATED_PER_SOURCE`: connections one address may have logging in
    /// at once (default 10); raise it for many users behind one NAT address.
    static func unauthenticatedPerSource(_ environment: [String: String]) throws(OpenrukoError) -> Int? {
        guard let text = environment["OPENRUKO_SSH_UNAUTHENTICATED_PER_SOURCE"] else { return nil }
        guard let value = Int(text), value > 0 else {
            throw OpenrukoError(.invalid, "OPENRUKO_SSH_UNAUTHENTICATED_PER_SOURCE must be a positive number, not \(text.debugDescription).")
        }
        return value
    }
}

/// The API listener's address as the SSH server should forward to it.
private final class APIAddress: Sendable {
    private let value: Mutex<ListenAddress>

    init(_ address: ListenAddress) {
        value = Mutex(address)
    }

    var current: ListenAddress { value.withLock { $0 } }

    func update(_ address: ListenAddress) { value.withLock { $0 = address } }
}
