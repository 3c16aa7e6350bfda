import Foundation
import Logging
import NIOCore
import OpenrukoCore
import Routing
import ServiceLifecycle
import Synchronization
import TestSupport

/// A route table the test rewrites as it goes (what the runtime will do).
final class TestRouteTable: RouteTable {
    private let targets = Mutex<[String: RouteTarget]>([:])

    func set(_ host: String, _ target: RouteTarget) {
        targets.withLock { $0[host] = target }
    }

    func target(forHost host: String) -> RouteTarget {
        targets.withLock { $0[host] } ?? .unknownHost
    }
}

/// Keeps every log line, for checks on the router's lines.
final class CollectingLogSink: LogSink {
    private let lines = Mutex<[LogLine]>([])

    func emit(_ line: LogLine) {
        lines.withLock { $0.append(line) }
    }

    var all: [LogLine] { lines.withLock { $0 } }

    /// Waits (up to 10 s) until at least `count` lines arrived.
    func wait(for count: Int) async throws -> [LogLine] {
        for _ in 0..<1000 {
            let current = all
            if current.count >= count { return current }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw TestFailure("expected \(count) log lines, have \(all.count): \(all.map(\.message))")
    }
}

/// A real router on 127.0.0.1:0 inside a ServiceGroup, with a test route table and log sink.
struct RouterHarness: Sendable {
    let routes: TestRouteTable
    let logs: CollectingLogSink
    let router: RouterService
    let port: Int
    /// The TLS listener's port (0 without certificates).
    let tlsPort: Int
    let group: ServiceGroup

    /// Runs `body` against a started router, then shuts it down gracefully.
    /// - Parameter certificates: given, the router also listens with TLS (`tlsPort`).
    static func with(
        configure: (inout RouterConfiguration) -> Void = { _ in }, certificates: TLSCertificates? = nil,
        challenges: ACMEChallenges? = nil, _ body: (RouterHarness) async throws -> Void
    ) async throws {
        var configuration = RouterConfiguration(listen: ListenAddress(host: "127.0.0.1", port: 0))
        configuration.threads = 2
        if certificates != nil { configuration.tlsListen = ListenAddress(host: "127.0.0.1", port: 0) }
        configure(&configuration)
        let routes = TestRouteTable()
        let logs = CollectingLogSink()
        let registry = ListenerRegistry(expected: certificates == nil ? ["router"] : ["router", "https"])
        let router = RouterService(
            configuration: configuration, routes: routes, logs: logs, registry: registry, certificates: certificates,
            challenges: challenges)
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(services: [.init(service: router)], logger: Logger(label: "router-test")))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            let bound = await registry.waitForAll()
            let port = Int(bound["router"]!.split(separator: ":").last!)!
            let tlsPort = bound["https"].flatMap { Int($0.split(separator: ":").last!) } ?? 0
            let harness = RouterHarness(routes: routes, logs: logs, router: router, port: port, tlsPort: tlsPort, group: group)
            do {
                try await body(harness)
            } catch {
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
                throw error
            }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }

    /// `curl -sS` through the router for `http://HOST/PATH`, resolving HOST to the router.
    func curl(_ host: String, _ paths: [String] = ["/"], _ extra: [String] = [], input: Data = Data()) async throws -> ProcessResult {
        let urls = paths.map { "http://\(host):\(port)\($0)" }
        return try await ProcessRunner.run(
            "/usr/bin/curl", ["-sS", "--max-time", "30", "--resolve", "\(host):\(port):127.0.0.1"] + extra + urls, input: input)
    }
}

extension RouterHarness {
    /// `curl -sS` through the TLS listener for `https://HOST/PATH`, trusting `caFile`.
    func curlTLS(_ host: String, _ paths: [String] = ["/"], caFile: String, _ extra: [String] = []) async throws -> ProcessResult {
        let urls = paths.map { "https://\(host):\(tlsPort)\($0)" }
        return try await ProcessRunner.run(
            "/usr/bin/curl", ["-sS", "--max-time", "30", "--cacert", caFile, "--resolve", "\(host):\(tlsPort):127.0.0.1"] + extra + urls)
    }
}

/// Throws when `operation` does not finish within `seconds` (a guard against hangs, not a
/// timing assertion).
func within<T: Sendable>(_ seconds: Double = 20, _ operation: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await operation() }
        group.addTask {
            try await Task.sleep(for: .seconds(seconds))
            return nil
        }
        guard let first = try await group.next(), let value = first else {
            group.cancelAll()
            throw TestFailure("did not finish within \(seconds) s")
        }
        group.cancelAll()
        return value
    }
}
