import Foundation
import OpenrukoCore
import Operations
import Subprocess

#if canImport(System)
    import System
#else
    import SystemPackage
#endif

/// One HTTPS exchange with the ACME server, through Debian's curl: HTTPS only, the admin's
/// test CA when `OPENRUKO_ACME_CA` names one, 30 seconds at most, at most 1 MiB of answer
/// (an endless or slow server costs a bounded wait and bounded memory). The request body
/// goes through stdin; only the server's URLs reach curl's argv, checked first.
struct ACMETransport: Sendable {
    /// The status, the headers (lowercased names) and the body of an answer.
    struct Response: Sendable {
        var status: Int
        var headers: [String: String]
        var body: Data

        /// The body as an error document, when it is one.
        var problem: ACMEProblem? {
            guard status >= 400 else { return nil }
            return (try? JSONDecoder().decode(ACMEProblem.self, from: body)) ?? ACMEProblem(type: nil, detail: "HTTP status \(status)")
        }
    }

    /// A PEM file of the CA to trust instead of the system's (pebble's, in tests).
    var caFile: String?
    /// The whole exchange's limit, in seconds.
    var timeout = 30
    /// Most bytes of an answer, headers included.
    static let maximumBytes = 1 << 20

    /// GETs `url` (the directory, a nonce with HEAD-like use).
    func get(_ url: String) async throws(OpenrukoError) -> Response {
        try await exchange(url, body: nil)
    }

    /// POSTs a JWS to `url`.
    func post(_ url: String, body: Data) async throws(OpenrukoError) -> Response {
        try await exchange(url, body: body)
    }

    private func exchange(_ url: String, body: Data?) async throws(OpenrukoError) -> Response {
        guard Self.isAcceptable(url) else { throw OpenrukoError(.invalid, "The ACME server gave an unusable URL.") }
        var arguments = [
            "--silent", "--show-error", "--http1.1", "--include", "--max-time", "\(timeout)", "--connect-timeout", "10",
            "--proto", "=https", "--max-filesize", "\(Self.maximumBytes)", "--header", "Expect:", "--user-agent", "openruko-acme",
        ]
        if let caFile { arguments += ["--cacert", caFile] }
        if body != nil { arguments += ["--header", "Content-Type: application/jose+json", "--data-binary", "@-"] }
        arguments += ["--url", url]
        var environment: [Environment.Key: String] = ["PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"]
        for name in ["https_proxy", "HTTPS_PROXY", "no_proxy", "NO_PROXY"] {
            if let value = ProcessInfo.processInfo.environment[name], let key = Environment.Key(rawValue: name) { environment[key] = value }
        }
        let output: [UInt8]
        do {
            let result = try await Subprocess.run(
                .path("/usr/bin/curl"), arguments: Arguments(arguments), environment: .custom(environment),
                input: .array(Array(body ?? Data())), output: .bytes(limit: Self.maximumBytes + 64 * 1024),
                error: .string(limit: 4096))
            guard result.terminationStatus.isSuccess else {
                let message = ACMEText.clean(result.standardError.trimmingCharacters(in: .whitespacesAndNewlines))
                throw OpenrukoError(.unavailable, "Cannot reach the ACME server: \(message.isEmpty ? "curl failed" : message)")
            }
            output = result.standardOutput
        } catch let error as OpenrukoError {
            throw error
        } catch {
            throw OpenrukoError(.unavailable, "The ACME server's answer was too large or unreadable.")
        }
        guard let response = Self.parse(output) else {
            throw OpenrukoError(.unavailable, "The ACME server sent a malformed HTTP answer.")
        }
        return response
    }

    /// Splits curl's `--include` output into status, headers and body.
    static func parse(_ bytes: [UInt8]) -> Response? {
        let separator: [UInt8] = [13, 10, 13, 10]
        var end: Int?
        if bytes.count >= 4 {
            for index in 0...(bytes.count - 4) where bytes[index..<(index + 4)].elementsEqual(separator) {
                end = index
                break
            }
        }
        guard let end else { return nil }
        let head = String(decoding: bytes[..<end], as: UTF8.self).components(separatedBy: "\r\n")
        let statusWords = head.first?.split(separator: " ") ?? []
        guard statusWords.count >= 2, let status = Int(statusWords[1]) else { return nil }
        var headers: [String: String] = [:]
        for line in head.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return Response(status: status, headers: headers, body: Data(bytes[(end + 4)...]))
    }

    /// An https URL of printable ASCII without spaces, at most 2 kB.
    static func isAcceptable(_ url: String) -> Bool {
        url.hasPrefix("https://") && url.utf8.count <= 2048 && url.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F }
    }
}
