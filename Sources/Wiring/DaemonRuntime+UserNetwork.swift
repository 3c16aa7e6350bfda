import Foundation
import Isolation
import Logging
import OpenrukoCore
import Runtime

/// Dyno networking when the daemon is not root (pasta per dyno and build, `UserNetwork`).
extension DaemonRuntime {
    /// Kills the pastas a killed daemon or hook left, and lists again the host loopback
    /// services dynos may reach (the add-on servers, `OPENRUKO_DYNO_ALLOW`'s loopback ones);
    /// without pasta, warns that dynos share the host's network and why.
    /// - Throws: `OpenrukoError.invalid` for a bad `OPENRUKO_DYNO_ALLOW`.
    func prepareUserNetwork(
        logger: Logger, environment: [String: String] = ProcessInfo.processInfo.environment
    ) async throws(OpenrukoError) {
        let detected = UserNetwork.detect(directory: Sandbox.pastaDirectory(layout.run + "/sandbox"), environment: environment)
        guard let pasta = host.sandbox.userNetwork else {
            logger.warning("\(detected.warning ?? "Dynos and builds share the host's network.")")
            return
        }
        let removed = pasta.removeStale()
        if removed > 0 { logger.info("Stopped \(removed) pasta processes left by dynos and builds of a stopped daemon or hook.") }
        pasta.disallowAll()
        var ports = try NetworkPlan(allow: environment["OPENRUKO_DYNO_ALLOW"] ?? "").allow.filter(\.isLoopback).map(\.port)
        let postgres = PostgresServer.forInstallation(layout)
        if let admin = try PostgresAdminSetting.current(layout) {
            if admin.isLoopback { ports.append(admin.port) }
        } else if postgres.isInitialized {
            ports.append(try await postgres.port())
        }
        ports += RedisServer.all(layout, serverUser: nil).compactMap(\.port)
        for port in ports { pasta.allow(port: port) }
        logger.info("Dynos and builds get a network of their own through pasta (openruko is not root).")
    }
}
