import ArgumentParser
import Wiring
import Foundation
import OpenrukoCore

/// The `openruko` executable: argument parsing only; the work lives in the Daemon target.
@main
struct Openruko: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "openruko",
        abstract: "A self-hosted Heroku: git push, buildpacks, releases, dynos.",
        version: "0.1.0",
        subcommands: [DaemonCommand.self, AdminCommand.self, HookCommand.self, AuthorizedKeysCommand.self, SSHCommand.self])

    /// Every openruko process creates its files private (`umask 077`); what the sandbox must
    /// reach is opened up explicitly, one directory at a time.
    static func main() async {
        umask(0o077)
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }
}

/// `openruko daemon`.
struct DaemonCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "daemon", abstract: "Run the SSH server, API, router and dyno supervisor.")

    @Option(help: "Data directory (env OPENRUKO_DATA_DIR; default /var/lib/openruko as root, else ~/.local/share/openruko).") var dataDir: String?
    @Option(help: "SSH listen address (env OPENRUKO_SSH_LISTEN; default 0.0.0.0:2222).") var sshListen: String?
    @Option(help: "API listen address (env OPENRUKO_API_LISTEN; default 127.0.0.1:5000).") var apiListen: String?
    @Option(help: "Router listen address (env OPENRUKO_ROUTER_LISTEN; default 0.0.0.0:8080).") var routerListen: String?
    @Option(help: "Apps are served at APP.DOMAIN (env OPENRUKO_DOMAIN; default localhost).") var domain: String?
    @Option(help: "Router HTTPS listen address (env OPENRUKO_ROUTER_TLS_LISTEN; default 0.0.0.0:8443).") var routerTlsListen: String?
    @Option(help: "The platform's *.DOMAIN certificate chain, PEM (env OPENRUKO_TLS_CERT; default: a local CA in DATA_DIR/tls).") var tlsCert: String?
    @Option(help: "The private key of --tls-cert, PEM (env OPENRUKO_TLS_KEY).") var tlsKey: String?
    @Option(help: "API and git-over-HTTPS TLS listen address, e.g. 127.0.0.1:5443 (env OPENRUKO_API_TLS_LISTEN; default off).") var apiTlsListen: String?
    @Option(help: "Where heroku run clients attach, TLS (env OPENRUKO_RENDEZVOUS_LISTEN; default 0.0.0.0:5001).") var rendezvousListen: String?

    func run() async throws {
        var configuration: DaemonConfiguration
        do {
            configuration = try DaemonConfiguration.resolve(
                dataDir: dataDir, sshListen: sshListen, apiListen: apiListen, routerListen: routerListen, domain: domain,
                routerTLSListen: routerTlsListen, tlsCert: tlsCert, tlsKey: tlsKey, apiTLSListen: apiTlsListen)
            if let rendezvousListen {
                configuration.rendezvousListen = try ListenAddress(parsing: rendezvousListen, option: "--rendezvous-listen")
            }
        } catch {
            throw ValidationError(error.message)  // a bad flag: the usage helps
        }
        do {
            try await Daemon(configuration: configuration).run()
        } catch let error as OpenrukoError {
            // A listener that cannot bind, an unusable data directory: the message alone.
            FileHandle.standardError.write(Data("openruko: \(error.message)\n".utf8))
            throw ExitCode.failure
        }
    }
}

/// `openruko admin COMMAND…`.
struct AdminCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "admin", abstract: "Run one command of the command table locally, as the superuser.")

    @Option(help: "Data directory (env OPENRUKO_DATA_DIR).") var dataDir: String?
    @Argument(parsing: .captureForPassthrough, help: "The command and its arguments (try 'help').") var words: [String] = []

    func run() async throws {
        let status = await AdminRunner.run(words, layout: DaemonConfiguration.dataDir(flag: dataDir))
        if status != 0 { throw ExitCode(status) }
    }
}

/// `openruko hook pre-receive`: what `hooks/pre-receive` runs during a push; and the other
/// commands git and the daemon run around a push or build.
struct HookCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hook", abstract: "Git hooks of openruko's repositories (run by git, not by hand).",
        subcommands: [PreReceive.self, ReferenceTransaction.self, ReceivePack.self, SourceBuild.self])

    /// git receive-pack with the push's build lock file open (run for every push).
    struct ReceivePack: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "receive-pack", abstract: "Run git receive-pack with the app's build lock for its hooks (run for a push, not by hand).")
        @Argument(parsing: .captureForPassthrough, help: "The git program and its arguments.") var command: [String] = []

        func run() throws {
            throw ExitCode(ReceivePackRunner.receivePack(command))
        }
    }

    /// What `hooks/reference-transaction` runs: lands a push's release, ends its hold on the build lock.
    struct ReferenceTransaction: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "reference-transaction", abstract: "Land a push's release and release its build lock once git has moved its branch.")
        @Argument(help: "git's state: prepared, committed or aborted.") var state: String

        func run() async throws {
            await ReceivePackRunner.referenceTransaction(state: state)
        }
    }

    /// One API build in its own process (started by the daemon).
    struct SourceBuild: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "source-build", abstract: "Run a pending API build (started by the daemon, not by hand).")
        @Option var build: String
        @Option var tarball: String
        @Option var buildpack: [String] = []
        @Flag(help: "This build uses no app buildpacks (an empty list was given).") var noBuildpacks = false

        func run() async throws {
            guard let id = UUID(uuidString: build) else { throw ValidationError("--build must be a build id") }
            let buildpacks: [String]? = buildpack.isEmpty && !noBuildpacks ? nil : buildpack
            let status = await SourceBuildRunner.run(buildID: id, tarball: tarball, buildpacks: buildpacks)
            if status != 0 { throw ExitCode(status) }
        }
    }

    struct PreReceive: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "pre-receive", abstract: "Build and deploy a push of main or master.")

        func run() async throws {
            let status = await HookRunner.preReceive()
            if status != 0 { throw ExitCode(status) }
        }
    }
}

/// `openruko authorized-keys %u %t %k` (OpenSSH `AuthorizedKeysCommand`).
struct AuthorizedKeysCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "authorized-keys",
        abstract: "For sshd's AuthorizedKeysCommand: print the forced-command line of a registered key, nothing otherwise.")

    @Option(help: "Data directory (env OPENRUKO_DATA_DIR).") var dataDir: String?
    @Argument(help: "The login name (%u); ignored.") var user: String
    @Argument(help: "The key type (%t).") var type: String
    @Argument(help: "The base64 key (%k).") var key: String

    func run() async throws {
        if let line = OpenSSHMode.authorizedKeys(type: type, key: key, layout: DaemonConfiguration.dataDir(flag: dataDir)) {
            print(line)
        }
    }
}

/// `openruko ssh-command --key-id ID` (the forced command of OpenSSH mode).
struct SSHCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ssh-command", abstract: "Run SSH_ORIGINAL_COMMAND as the owner of a key (the forced command sshd runs).")

    @Option(help: "Data directory (env OPENRUKO_DATA_DIR).") var dataDir: String?
    @Option(help: "The registered key that logged in.") var keyId: String

    func run() async throws {
        let status = await OpenSSHMode.sshCommand(
            keyID: keyId, layout: DaemonConfiguration.dataDir(flag: dataDir), environment: ProcessInfo.processInfo.environment)
        if status != 0 { throw ExitCode(status) }
    }
}
