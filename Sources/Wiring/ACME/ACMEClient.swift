import Foundation
import OpenrukoCore
import Operations

/// The daemon's ACME client (RFC 8555): the directory, nonces, the account (made once with
/// the key in `DATA_DIR/tls/acme-account.pem`), and one order per domain, its decisions taken
/// by `ACMEOrderMachine`. The HTTP-01 token is published on the router only while its order
/// runs.
actor ACMEClient {
    private let directoryURL: String
    private let transport: ACMETransport
    private let key: ACMEAccountKey
    private let challenges: ACMEChallenges
    private var directory: ACMEDirectory?
    private var accountURL: String?
    private var nonce: String?

    init(directoryURL: String, transport: ACMETransport, key: ACMEAccountKey, challenges: ACMEChallenges) {
        self.directoryURL = directoryURL
        self.transport = transport
        self.key = key
        self.challenges = challenges
    }

    /// What an order ended with.
    enum Outcome: Sendable {
        case issued(chainPEM: String, keyPEM: String)
        case failed(reason: String)
    }

    /// Orders a certificate for `host`, answering its HTTP-01 challenge on the router.
    func issue(host: String) async -> Outcome {
        guard ACMEText.isIssuableHost(host) else { return .failed(reason: "\(ACMEText.clean(host)) is not a name a CA can issue for.") }
        let request: ACMECertificateRequest
        let directory: ACMEDirectory
        do {
            request = try ACMECertificateRequest(host: host)
            directory = try await ensureAccount()
        } catch {
            return .failed(reason: error.message)
        }
        var published: [String] = []
        defer { for token in published { challenges.withdraw(host: host, token: token) } }
        var machine = ACMEOrderMachine()
        var action = machine.start()
        while true {
            if Task.isCancelled { return .failed(reason: "The daemon stopped during the order.") }
            do {
                switch action {
                case .createOrder:
                    let payload = #"{"identifiers":[{"type":"dns","value":\#(Self.jsonString(host))}]}"#
                    let response = try await signedPost(directory.newOrder, payload: payload)
                    action = machine.handle(Self.event(response, as: ACMEOrder.self) { .order($0, url: response.headers["location"]) })
                case .fetchAuthorization(let url):
                    action = machine.handle(try await authorization(url))
                case .respond(let challengeURL, let token):
                    guard challenges.publish(host: host, token: token, keyAuthorization: key.keyAuthorization(token)) else {
                        action = machine.handle(.problem("Too many challenges are pending; try again later."))
                        continue
                    }
                    published.append(token)
                    let response = try await signedPost(challengeURL, payload: "{}")
                    action = machine.handle(response.problem.map { .problem($0.message) } ?? .challengeAccepted)
                case .pollAuthorization(let url, let delay):
                    try await Task.sleep(for: delay)
                    action = machine.handle(try await authorization(url))
                case .finalize(let url):
                    let response = try await signedPost(url, payload: #"{"csr":"\#(request.csr)"}"#)
                    action = machine.handle(Self.event(response, as: ACMEOrder.self) { .order($0, url: nil) })
                case .pollOrder(let url, let delay):
                    try await Task.sleep(for: delay)
                    let response = try await signedPost(url, payload: "")
                    action = machine.handle(Self.event(response, as: ACMEOrder.self) { .order($0, url: nil) })
                case .download(let url):
                    let response = try await signedPost(url, payload: "")
                    action = machine.handle(
                        response.problem.map { .problem($0.message) } ?? .certificate(String(decoding: response.body, as: UTF8.self)))
                case .finished(let chain):
                    return .issued(chainPEM: chain, keyPEM: request.keyPEM)
                case .failed(let reason):
                    return .failed(reason: reason)
                }
            } catch let error as OpenrukoError {
                action = machine.handle(.problem(error.message))
            } catch {
                return .failed(reason: "The daemon stopped during the order.")
            }
        }
    }

    private func authorization(_ url: String) async throws(OpenrukoError) -> ACMEOrderMachine.Event {
        let response = try await signedPost(url, payload: "")
        return Self.event(response, as: ACMEAuthorization.self) { .authorization($0, url: url) }
    }

    /// The directory and the account, fetched and made once.
    private func ensureAccount() async throws(OpenrukoError) -> ACMEDirectory {
        let directory = try await ensureDirectory()
        guard accountURL == nil else { return directory }
        let response = try await signedPost(directory.newAccount, payload: #"{"termsOfServiceAgreed":true}"#, withKey: true)
        if let problem = response.problem { throw OpenrukoError(.unavailable, "The ACME server refused the account: \(problem.message)") }
        guard let location = response.headers["location"], ACMETransport.isAcceptable(location) else {
            throw OpenrukoError(.unavailable, "The ACME server gave the account no URL.")
        }
        accountURL = location
        return directory
    }

    private func ensureDirectory() async throws(OpenrukoError) -> ACMEDirectory {
        if let directory { return directory }
        let response = try await transport.get(directoryURL)
        guard response.status == 200, let found = try? JSONDecoder().decode(ACMEDirectory.self, from: response.body) else {
            throw OpenrukoError(.unavailable, "\(directoryURL) is not an ACME directory (HTTP \(response.status)).")
        }
        directory = found
        return found
    }

    /// A JWS POST, sent again (up to 3 times) when the server calls the nonce stale.
    private func signedPost(_ url: String, payload: String, withKey: Bool = false) async throws(OpenrukoError) -> ACMETransport.Response {
        var attempt = 0
        while true {
            attempt += 1
            let fresh = try await freshNonce()
            let body = try key.sign(payload: payload, url: url, nonce: fresh, accountURL: withKey ? nil : accountURL)
            let response = try await transport.post(url, body: body)
            nonce = response.headers["replay-nonce"].flatMap { ACMEText.isToken($0) ? $0 : nil }
            if let problem = response.problem, problem.isBadNonce, attempt < 3 { continue }
            return response
        }
    }

    private func freshNonce() async throws(OpenrukoError) -> String {
        if let nonce {
            self.nonce = nil
            return nonce
        }
        let directory = try await ensureDirectory()
        let response = try await transport.get(directory.newNonce)
        guard let fresh = response.headers["replay-nonce"], ACMEText.isToken(fresh) else {
            throw OpenrukoError(.unavailable, "The ACME server gave no nonce.")
        }
        return fresh
    }

    private static func event<T: Decodable>(
        _ response: ACMETransport.Response, as type: T.Type, _ make: (T) -> ACMEOrderMachine.Event
    ) -> ACMEOrderMachine.Event {
        if let problem = response.problem { return .problem(problem.message) }
        guard let value = try? JSONDecoder().decode(T.self, from: response.body) else {
            return .problem("The ACME server sent an unreadable \(String(describing: T.self)).")
        }
        return make(value)
    }

    private static func jsonString(_ value: String) -> String {
        String(decoding: (try? JSONEncoder().encode(value)) ?? Data("\"\"".utf8), as: UTF8.self)
    }
}
