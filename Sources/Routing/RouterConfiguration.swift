package import NIOCore
package import OpenrukoCore

/// The router's settings. Heroku's values are the defaults; tests shorten the timeouts.
package struct RouterConfiguration: Sendable {
    /// `--router-listen` (port 0 picks a free port).
    package var listen: ListenAddress
    /// `--router-tls-listen`: HTTPS, when the router has certificates (port 0 picks a free port).
    package var tlsListen: ListenAddress?
    /// H12 when a dyno has not started its response this long after the request was sent.
    package var responseTimeout: TimeAmount = .seconds(30)
    /// How long a request waits for a `.starting` app's web dynos before H20.
    package var bootWait: TimeAmount = .seconds(75)
    /// How often a waiting request re-reads the route table.
    package var bootPollInterval: TimeAmount = .milliseconds(100)
    /// H19 when a dyno does not accept the connection this fast.
    package var connectTimeout: TimeAmount = .seconds(5)
    /// A kept-alive client connection with no request for this long is closed.
    package var clientIdleTimeout: TimeAmount = .seconds(60)
    /// Heroku's rolling window once a response has started: when no byte goes to the client
    /// for this long (a silent dyno, or a client that does not read), H15 and the connection
    /// is closed. Also how long a closing connection may take to deliver what is left of its
    /// last response before it is dropped (a client that never reads it).
    package var responseIdleTimeout: TimeAmount = .seconds(55)
    /// A client reading a response more slowly than this many bytes per `responseIdleTimeout`
    /// window (about 1.2 KB/s by default), while the router waits on it (its socket buffers
    /// full), is cut the same way (H15): a slow reader holds a connection, a dyno connection
    /// and their buffers. A dyno that sends little (server-sent events) is not: then the
    /// client keeps up.
    package var responseMinimumBytes = 64 * 1024
    /// An upgraded connection (WebSocket) with no byte either way for this long is closed
    /// (Heroku's 55 s).
    package var tunnelIdleTimeout: TimeAmount = .seconds(55)
    /// H28 when a request body stops arriving for this long (Heroku's 55 s): the client gets a
    /// `408` if no response has started, else the connection is cut. A client that owes body
    /// bytes after its response is cut the same way.
    package var requestBodyIdleTimeout: TimeAmount = .seconds(55)
    /// The whole request body must arrive within this long from its head, plus one second per
    /// `requestBodyMinimumRate` bytes received (a trickle of a byte a minute ends here, a large
    /// upload at a working rate never does); then H28 as above.
    package var requestBodyTimeout: TimeAmount = .seconds(60)
    /// Bytes a second a request body must average (past `requestBodyTimeout`) to keep going.
    package var requestBodyMinimumRate = 500
    /// A pooled connection to a dyno unused for this long is closed.
    package var backendIdleTimeout: TimeAmount = .seconds(20)
    /// Pooled idle connections per dyno and event loop.
    package var maxIdleConnectionsPerBackend = 64
    /// On shutdown, how long in-flight requests may take before connections are cut.
    package var shutdownGrace: TimeAmount = .seconds(25)
    /// Client connections served at once (both listeners together; each may also hold a dyno
    /// connection): a quarter of the descriptor limit, at least 256. Beyond it, 503 and closed.
    package var maximumConnections = max(256, ConnectionBudget.descriptorLimit / 4)
    /// …and from one source address (nil: half of `maximumConnections`).
    package var maximumConnectionsPerSource: Int? = nil
    /// Event loop threads; defaults to one per core.
    package var threads: Int = System.coreCount
    /// `X-Forwarded-Proto` (and the log's `protocol=`) of the plain listener; the TLS
    /// listener's is `https`.
    package var forwardedProto = "http"
    /// This hop's `Via` entry, on requests and responses (Heroku's is `1.1 vegur`).
    package var via = "1.1 openruko"

    package init(listen: ListenAddress, tlsListen: ListenAddress? = nil) {
        self.listen = listen
        self.tlsListen = tlsListen
    }
}
