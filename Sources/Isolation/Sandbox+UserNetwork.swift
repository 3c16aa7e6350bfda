import Foundation
package import OpenrukoCore

/// How a sandbox runs under pasta (`UserNetwork`): bubblewrap, started by pasta inside
/// pasta's user namespace as its root, makes a user namespace of its own for the command and
/// drops every capability, so the command sees what an unprivileged bubblewrap gives.
extension Sandbox {
    /// A sandbox with the host's dyno networking: kernel namespaces when openruko is root, a
    /// pasta per command when it is not and pasta can run (`UserNetwork.detect`), else the
    /// host's network.
    /// - Throws: `OpenrukoError` for a bad network setting or a missing bubblewrap.
    package static func networked(
        stateDirectory: String, environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(OpenrukoError) -> Sandbox {
        let kernel = try SandboxNetwork.kernel(environment: environment)
        let user = kernel == nil ? UserNetwork.detect(directory: pastaDirectory(stateDirectory), environment: environment).network : nil
        return try Sandbox(stateDirectory: stateDirectory, network: kernel, userNetwork: user)
    }

    /// Where the pastas of a sandbox's state directory keep their pid files (and the allowed
    /// ports: see `UserNetwork.ofDataDirectory`, which must agree).
    package static func pastaDirectory(_ stateDirectory: String) -> String { stateDirectory + "/pasta" }

    /// The pasta a run of `configuration` goes under: a command with a network and no
    /// namespace handed to it, in a sandbox without kernel networking; nil otherwise.
    func pasta(for configuration: SandboxConfiguration) -> UserNetwork? {
        guard configuration.network, configuration.networkNamespace == nil, network == nil else { return nil }
        return userNetwork
    }

    /// bubblewrap's user namespace arguments under pasta: the sandbox user's uid and gid
    /// unless the configuration names its own (`userID`).
    func userNamespaceArguments(_ configuration: SandboxConfiguration) -> [String] {
        let identity = configuration.identity ?? identity
        let own = configuration.userID == nil
        return UserNetwork.bubblewrapArguments(uid: own ? identity.uid : nil, gid: own ? identity.gid : nil)
    }

    /// bubblewrap's pid once pasta (`pastaPID`) has started it, or pasta's own when pasta
    /// ends first or takes more than 10 s.
    static func bubblewrap(under pastaPID: pid_t) async -> pid_t {
        for _ in 0..<2000 {
            for child in ProcessTree.children(of: pastaPID) where ProcFile.read("/proc/\(child)/comm")?.hasPrefix("bwrap") == true {
                return child
            }
            guard kill(pastaPID, 0) == 0 else { break }
            try? await Task.sleep(for: .milliseconds(5))
        }
        return pastaPID
    }
}
