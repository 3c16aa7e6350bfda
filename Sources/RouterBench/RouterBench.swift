import Foundation
import Logging
import OpenrukoCore
import Routing
import ServiceLifecycle
import UnixSignals

/// `RouterBench --listen H:P --backend H:P [--host NAME] [--threads N] [--backends N]`: the
/// router alone, every host routed to one fixed backend (as N dynos, round-robin), for
/// `scripts/bench/router`. Prints `router=H:P` once bound; stops on SIGTERM/SIGINT.
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
        let registry = ListenerRegistry(expected: ["router"])
        let router = RouterService(
            configuration: configuration, routes: FixedRoute(.backends(app: "bench", appID: UUID(), backends)),
            logs: DiscardingLogSink(), registry: registry)
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
        FileHandle.standardOutput.write(Data("router=\(bound["router"]!)\n".utf8))
        try? await gracefulShutdown()
    }
}
