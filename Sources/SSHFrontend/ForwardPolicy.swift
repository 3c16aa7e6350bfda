package import OpenrukoCore

/// Which `ssh -L` forwards are allowed: only to the API listener, so a remote user can run
/// the heroku CLI against `http://localhost:PORT`. Every other destination is refused.
///
/// ```swift
/// let policy = ForwardPolicy(api: ListenAddress(host: "127.0.0.1", port: 5000))
/// policy.target(host: "localhost", port: 5000)   // 127.0.0.1:5000
/// policy.target(host: "localhost", port: 22)     // nil
/// ```
package struct ForwardPolicy: Sendable, Hashable {
    /// The API listener's address (as bound); nil means no forward is allowed.
    package var api: ListenAddress?

    package init(api: ListenAddress?) {
        self.api = api
    }

    private static let loopbackNames: Set<String> = ["localhost", "127.0.0.1", "::1", "ip6-localhost"]
    private static let wildcards: Set<String> = ["0.0.0.0", "::", "*", ""]

    /// Where to connect for a forward the client asked to `host:port`, or nil to refuse.
    /// The connection goes to the API's own address, never to a name the client chose.
    package func target(host: String, port: Int) -> ListenAddress? {
        guard let api, api.port > 0, port == api.port else { return nil }
        let asked = host.lowercased()
        let listening = api.host.lowercased()
        if Self.wildcards.contains(listening) {
            guard Self.loopbackNames.contains(asked) || asked == listening else { return nil }
            return ListenAddress(host: listening == "::" ? "::1" : "127.0.0.1", port: api.port)
        }
        if Self.loopbackNames.contains(listening) {
            guard Self.loopbackNames.contains(asked) else { return nil }
            return api
        }
        return asked == listening ? api : nil
    }
}
