import Foundation
import Testing

@testable import Isolation

/// The decisions of pasta networking (openruko unprivileged), without running pasta.
@Suite(.timeLimit(.minutes(5))) struct UserNetworkTests {
    static func decide(root: Bool = false, setting: String? = nil, installed: Bool = true, tun: String? = nil) -> UserNetwork.Detection {
        UserNetwork.decide(isRoot: root, setting: setting, pastaInstalled: installed, tunError: tun, pasta: "/usr/bin/pasta", directory: "/d")
    }

    @Test func pastaIsUsedOnlyWhenUnprivilegedAndUsable() {
        #expect(Self.decide().network == UserNetwork(pasta: "/usr/bin/pasta", directory: "/d"))
        #expect(Self.decide().warning == nil)
        // Root has kernel networking; `host` is the admin's choice.
        #expect(Self.decide(root: true) == UserNetwork.Detection(network: nil, warning: nil))
        #expect(Self.decide(root: true, setting: "host").warning?.contains("OPENRUKO_DYNO_NETWORK=host") == true)
        #expect(Self.decide(setting: "host").network == nil)
    }

    @Test func theWarningNamesTheFix() throws {
        let tun = try #require(Self.decide(tun: "Permission denied").warning)
        #expect(Self.decide(tun: "Permission denied").network == nil)
        #expect(tun.contains("/dev/net/tun (Permission denied)") && tun.contains("chmod 0666 /dev/net/tun"))
        #expect(tun.hasPrefix("Dynos and builds share the host's network"))
        let missing = try #require(Self.decide(installed: false).warning)
        #expect(missing.contains("passt package") && missing.contains("scripts/install-deps"))
    }

    @Test func pastaForwardsOnlyThePortToTheHostsLoopbackAndMapsNothingOfTheHost() {
        let network = UserNetwork(pasta: "/usr/bin/pasta", directory: "/d")
        let command = network.command(publishing: 5123, pidFile: "/d/pasta-1-x.pid")
        func value(_ option: String) -> String? { command.firstIndex(of: option).map { command[$0 + 1] } }
        #expect(Array(command.prefix(4)) == ["/usr/bin/setpriv", "--pdeathsig", "KILL", "--"])
        #expect(command[4] == "/usr/bin/pasta" && command.suffix(5).first == "--" && command.contains("/bin/bash"))
        #expect(value("--tcp-ports") == "127.0.0.1/5123:5123")
        #expect(value("--tcp-ns") == "none" && value("--udp-ns") == "none" && value("--udp-ports") == "none")
        #expect(command.contains("--no-map-gw") && command.contains("--foreground") && command.contains("--config-net"))
        #expect(value("--pid") == "/d/pasta-1-x.pid")
        let build = network.command(publishing: nil, pidFile: "/d/p.pid")
        #expect(build[build.firstIndex(of: "--tcp-ports")! + 1] == "none")
    }

    @Test func bubblewrapDropsWhatPastasNamespaceGaveIt() {
        #expect(UserNetwork.bubblewrapArguments(uid: 1002, gid: 1003) == ["--unshare-user", "--cap-drop", "ALL", "--uid", "1002", "--gid", "1003"])
        #expect(UserNetwork.bubblewrapArguments(uid: nil, gid: nil) == ["--unshare-user", "--cap-drop", "ALL"])
    }

    @Test func pidFilesNameTheirOwner() {
        let network = UserNetwork(directory: "/run/x/pasta")
        let file = network.pidFile()
        #expect(file.hasPrefix("/run/x/pasta/pasta-\(getpid())-") && file.hasSuffix(".pid"))
        #expect(UserNetwork.owner(ofPidFile: file) == getpid())
        #expect(UserNetwork.owner(ofPidFile: "/run/x/pasta/other.pid") == nil)
        #expect(UserNetwork.pidFile(inCommandLine: ["pasta", "-q", "--pid", "/a/b.pid", "--", "bwrap"]) == "/a/b.pid")
        #expect(UserNetwork.pidFile(inCommandLine: ["pasta", "--pid"]) == nil)
    }

    @Test func aSandboxGoesUnderPastaOnlyForANetworkItWasNotHanded() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("usernet-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let identity = SandboxIdentity(uid: 1002, gid: 1002, switchesUser: false)
        let sandbox = try Sandbox(
            stateDirectory: directory, identity: identity, userNetwork: UserNetwork(directory: Sandbox.pastaDirectory(directory)))
        var configuration = SandboxConfiguration(command: ["/bin/true"])
        #expect(sandbox.pasta(for: configuration) != nil)
        #expect(sandbox.arguments(configuration).contains("--cap-drop"))
        #expect(sandbox.userNamespaceArguments(configuration).suffix(4) == ["--uid", "1002", "--gid", "1002"])
        configuration.userID = 0
        #expect(!sandbox.userNamespaceArguments(configuration).contains("--uid"))
        configuration.network = false
        #expect(sandbox.pasta(for: configuration) == nil)
        #expect(!sandbox.arguments(configuration).contains("--cap-drop"))
        configuration.network = true
        configuration.networkNamespace = "/run/netns/x"
        #expect(sandbox.pasta(for: configuration) == nil)
    }

    @Test func allowedHostServicesAreForwardedFromTheDynosLoopbackOnly() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("usernet-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let network = UserNetwork(directory: directory)
        #expect(network.allowedPorts().isEmpty)
        network.allow(port: 6379)
        network.allow(port: 5432)
        network.allow(port: 5432)
        #expect(network.allowedPorts() == [5432, 6379])
        let command = network.command(publishing: nil, allowed: network.allowedPorts(), pidFile: directory + "/p.pid")
        #expect(command[command.firstIndex(of: "--tcp-ns")! + 1] == "5432,6379")
        // A stale-pasta sweep leaves them; a daemon's start lists them again.
        _ = network.removeStale()
        #expect(network.allowedPorts() == [5432, 6379])
        network.disallow(port: 6379)
        #expect(network.allowedPorts() == [5432])
        network.disallowAll()
        #expect(network.allowedPorts().isEmpty)
        #expect(UserNetwork.allowedPort("allow-70000") == nil && UserNetwork.allowedPort("pasta-1-x.pid") == nil)
    }
}
