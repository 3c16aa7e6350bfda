import Foundation
import TestSupport

/// Debian's pebble (a real ACME server, validating for real: `PEBBLE_VA_ALWAYS_VALID` is not
/// set) with pebble-challtestsrv as its DNS, which answers 127.0.0.1 for every name unless a
/// test points one elsewhere. pebble's HTTPS listener uses a certificate made here with
/// openssl; `caFile` trusts it (`OPENRUKO_ACME_CA`).
struct PebbleServer {
    let directory: String
    let acmePort: Int
    let managementPort: Int
    let dnsPort: Int
    let dnsManagementPort: Int
    private let processes = ProcessBox()

    /// The listener's CA, and pebble's directory URL.
    var caFile: String { directory + "/listener-ca.pem" }
    var directoryURL: String { "https://127.0.0.1:\(acmePort)/dir" }
    var certificateFile: String { directory + "/listener.pem" }
    var keyFile: String { directory + "/listener.key" }

    /// Picks the ports and makes the listener's certificate; `start` runs pebble.
    static func prepare(in directory: String) async throws -> PebbleServer {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        func openssl(_ arguments: [String]) async throws {
            let result = try await ProcessRunner.run("/usr/bin/openssl", arguments, directory: directory)
            if result.status != 0 { throw TestFailure("openssl \(arguments.joined(separator: " ")): \(result.stderr)") }
        }
        let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
        try await openssl(
            ["req", "-x509"] + ec + ["-keyout", "listener-ca.key", "-out", "listener-ca.pem", "-days", "2", "-subj", "/CN=Listener CA"])
        try await openssl(["req"] + ec + ["-keyout", "listener.key", "-out", "listener.csr", "-subj", "/CN=localhost"])
        try "subjectAltName=DNS:localhost,IP:127.0.0.1\n".write(toFile: directory + "/san", atomically: true, encoding: .utf8)
        try await openssl([
            "x509", "-req", "-in", "listener.csr", "-CA", "listener-ca.pem", "-CAkey", "listener-ca.key", "-CAcreateserial", "-days", "2",
            "-extfile", "san", "-out", "listener.pem",
        ])
        return PebbleServer(
            directory: directory, acmePort: try await freePort(), managementPort: try await freePort(), dnsPort: try await freePort(),
            dnsManagementPort: try await freePort())
    }

    /// Starts pebble validating HTTP-01 on `httpPort` (the router's plain listener), issuing
    /// certificates valid for `validity` seconds, and its DNS.
    func start(httpPort: Int, validity: Int) async throws {
        let config = """
            {"pebble": {"listenAddress": "127.0.0.1:\(acmePort)", "managementListenAddress": "127.0.0.1:\(managementPort)",
             "certificate": "\(certificateFile)", "privateKey": "\(keyFile)", "httpPort": \(httpPort), "tlsPort": 1,
             "ocspResponderURL": "", "externalAccountBindingRequired": false, "certificateValidityPeriod": \(validity)}}
            """
        try config.write(toFile: directory + "/pebble.json", atomically: true, encoding: .utf8)
        processes.add(
            try await BackgroundProcess(
                [
                    "/usr/bin/pebble-challtestsrv", "-dns01", "127.0.0.1:\(dnsPort)", "-http01", "", "-https01", "", "-tlsalpn01", "",
                    "-management", "127.0.0.1:\(dnsManagementPort)", "-defaultIPv4", "127.0.0.1", "-defaultIPv6", "",
                ], log: directory + "/dns.log"))
        processes.add(
            try await BackgroundProcess(
                [
                    "/usr/bin/env", "PEBBLE_VA_NOSLEEP=1", "/usr/bin/pebble", "-config", directory + "/pebble.json", "-dnsserver",
                    "127.0.0.1:\(dnsPort)",
                ],
                log: directory + "/pebble.log"))
        for _ in 0..<200 {
            let up = try await ProcessRunner.run("/usr/bin/curl", ["-sS", "--max-time", "5", "--cacert", caFile, directoryURL])
            let dns = try await ProcessRunner.run("/usr/bin/curl", ["-sS", "--max-time", "5", "http://127.0.0.1:\(dnsManagementPort)/"])
            if up.status == 0, up.stdout.contains("newOrder"), dns.status == 0 { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw TestFailure("pebble did not start: \(log)")
    }

    /// pebble's root, which issued (through its intermediate) every certificate.
    func root() async throws -> String {
        let result = try await ProcessRunner.run(
            "/usr/bin/curl", ["-sS", "--max-time", "10", "--cacert", caFile, "https://127.0.0.1:\(managementPort)/roots/0"])
        guard result.status == 0, result.stdout.contains("BEGIN CERTIFICATE") else { throw TestFailure("no pebble root: \(result.stderr)") }
        return result.stdout
    }

    /// Makes `host` resolve to `address` for pebble (a domain that does not point at us).
    func point(_ host: String, at address: String) async throws {
        let result = try await ProcessRunner.run(
            "/usr/bin/curl",
            [
                "-sS", "--fail", "--max-time", "10", "-d", #"{"host":"\#(host)","addresses":["\#(address)"]}"#,
                "http://127.0.0.1:\(dnsManagementPort)/add-a",
            ])
        if result.status != 0 { throw TestFailure("challtestsrv add-a: \(result.stderr)") }
    }

    /// pebble's and its DNS's output, for failure messages.
    var log: String {
        ["pebble.log", "dns.log"].map { (try? String(contentsOfFile: directory + "/" + $0, encoding: .utf8)) ?? "" }.joined(separator: "\n")
    }

    func stop() { processes.stopAll() }
}

/// The background processes of a server, stopped together.
final class ProcessBox: @unchecked Sendable {
    // @unchecked: guarded by `lock`.
    private let lock = NSLock()
    private var processes: [BackgroundProcess] = []

    func add(_ process: BackgroundProcess) { lock.withLock { processes.append(process) } }

    func stopAll() { lock.withLock { processes.forEach { $0.stop() } } }
}

/// A loopback TCP port nothing listens on (bound and released by Python).
func freePort() async throws -> Int {
    let result = try await ProcessRunner.run(
        "/usr/bin/python3", ["-c", "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])"])
    guard let port = Int(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) else { throw TestFailure("no free port") }
    return port
}
