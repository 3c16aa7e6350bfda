import Foundation
import Logging
import OpenrukoCore
import Routing
import ServiceLifecycle
import UnixSignals

/// `RouterBench --listen H:P --backend H:P [--host NAME] [--threads N] [--backends N]
/// [--tls-listen H:P --tls-cert PEM --tls-key PEM]`: the router alone, every host routed to one
/// fixed backend (as N dynos, round-robin), for `scripts/bench/router`; with a certificate also
/// its TLS listener (HTTP/2 and HTTP/1.1). Prints `router=H:P` (and `https=H:P`) once bound;
/// stops on SIGTERM/SIGINT.
@main
struct RouterBench {
    static func main() async throws {
        var options: [String: String] = [:]
        var arguments = CommandLine.arguments.dropFirst()
        while let name = arguments.popFirst(), let value = arguments.popFirst() { options[name] = value }
        guard let backendText = options["--backend"] else {
            FileHandle.standardError.write(Data("usage: RouterBench --listen H:P --backend H:P [--threads N] [--backends N]\n".utf8))
            exit(2)
        }
        let backendAddress = try ListenAddress(parsing: backendText, option: "--backend")
        var configuration = RouterConfiguration(
            listen: try ListenAddress(parsing: options["--listen"] ?? "127.0.0.1:0", option: "--listen"))
        if let threads = options["--threads"].flatMap(Int.init) { configuration.threads = threads }
        let count = options["--backends"].flatMap(Int.init) ?? 1
        let backends = (1...max(1, count)).map {
            Backend(id: UUID(), dyno: "web.\($0)", host: backendAddress.host, port: backendAddress.port)
        }
        var certificates: TLSCertificates?
        if let certificate = options["--tls-cert"], let key = options["--tls-key"] {
            configuration.tlsListen = try ListenAddress(parsing: options["--tls-listen"] ?? "127.0.0.1:0", option: "--tls-listen")
            certificates = try TLSCertificates(
                platform: ServedCertificate(
                    chainPEM: try String(contentsOfFile: certificate, encoding: .utf8), keyPEM: try String(contentsOfFile: key, encoding: .utf8)))
        }
        let registry = ListenerRegistry(expected: certificates == nil ? ["router"] : ["router", "https"])
        let router = RouterService(
            configuration: configuration, routes: FixedRoute(.backends(app: "bench", appID: UUID(), backends)),
            logs: DiscardingLogSink(), registry: registry, certificates: certificates)
        let announcer = Announcer(registry: registry)
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: [.init(service: router), .init(service: announcer)], gracefulShutdownSignals: [.sigterm, .sigint],
                logger: Logger(label: "router-bench")))
        do {
            try await group.run()
        } catch {
            FileHandle.standardError.write(Data("RouterBench: \(error)\n".utf8))
            exit(1)
        }
    }
}

/// Every host goes to the same target.
struct FixedRoute: RouteTable {
    let target: RouteTarget
    init(_ target: RouteTarget) { self.target = target }
    func target(forHost host: String) -> RouteTarget { target }
}

/// Prints the bound address.
struct Announcer: Service {
    let registry: ListenerRegistry
    func run() async throws {
        let bound = await registry.waitForAll()
        guard !Task.isCancelled else { return }
        for name in ["router", "https"] {
            if let address = bound[name] { FileHandle.standardOutput.write(Data("\(name)=\(address)\n".utf8)) }
        }
        try? await gracefulShutdown()
    }
}
