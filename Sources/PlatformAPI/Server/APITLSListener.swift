package import HummingbirdTLS
package import OpenrukoCore

/// The API's TLS listener (`--api-tls-listen`): where it listens and what it serves (the
/// platform's certificate, with the router's TLS rules). The same routes as the plain
/// listener, git's smart HTTP included, so `HEROKU_HOST=https://localhost:PORT` gives the heroku
/// CLI its API, its git remote and its credential helper on one port.
package struct APITLSListener: Sendable {
    package var listen: ListenAddress
    package var configuration: TLSConfiguration

    package init(listen: ListenAddress, configuration: TLSConfiguration) {
        self.listen = listen
        self.configuration = configuration
    }

    /// The name of this listener in the ready line and `daemon.json`.
    package static let registryName = "api-tls"
}
