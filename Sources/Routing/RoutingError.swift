/// A request the router answers itself, with Heroku's error code (H10, H12…) where Heroku has one.
package struct RoutingError: Hashable, Sendable {
    /// `H12`; nil for the unknown-host 404, which Heroku logs nowhere (there is no app).
    package var code: String?
    /// Heroku's `desc="…"` text.
    package var description: String
    /// The HTTP status and its reason phrase.
    package var status: Int
    package var reason: String
    /// Which page the client sees.
    package var page: Page

    /// The two pages Heroku serves.
    package enum Page: Hashable, Sendable {
        case applicationError, noSuchApp, maintenance
    }

    /// H10: every web dyno of the app has crashed.
    package static let appCrashed = RoutingError(code: "H10", description: "App crashed")
    /// H12: the dyno did not start a response within the timeout (30 s on Heroku).
    package static let requestTimeout = RoutingError(code: "H12", description: "Request timeout")
    /// H13: the dyno closed the connection without a response.
    package static let connectionClosed = RoutingError(code: "H13", description: "Connection closed without response")
    /// H14: the app runs no web dynos.
    package static let noWebDynos = RoutingError(code: "H14", description: "No web processes running")
    /// H15: a started response sent nothing for the 55-second window (logged; the connection
    /// is cut, as the client already has a status).
    package static let idleConnection = RoutingError(code: "H15", description: "Idle connection")
    /// H19: no connection to the dyno within the connect timeout.
    package static let connectTimeout = RoutingError(code: "H19", description: "Backend connection timeout")
    /// H20: the app's web dynos did not come up in time.
    package static let bootTimeout = RoutingError(code: "H20", description: "App boot timeout")
    /// H21: the dyno refused the connection.
    package static let connectionRefused = RoutingError(code: "H21", description: "Backend connection refused")
    /// H80: the app is in maintenance mode (logged `at=info`, like Heroku).
    package static let maintenance = RoutingError(code: "H80", description: "Maintenance mode", page: .maintenance)
    /// H27: the client went away before the response finished (logged only, status 499).
    package static let clientInterrupted = RoutingError(
        code: "H27", description: "Client Request Interrupted", status: 499, reason: "Client Closed Request")
    /// H28: the client stopped sending its request body (idle for 55 s, or far too slow); it
    /// gets a `408` when no response has started.
    package static let clientIdle = RoutingError(code: "H28", description: "Client Connection Idle", status: 408, reason: "Request Timeout")
    /// No app has this host (Heroku's "no such app" page).
    package static let noSuchApp = RoutingError(
        code: nil, description: "No such app", status: 404, reason: "Not Found", page: .noSuchApp)

    init(
        code: String?, description: String, status: Int = 503, reason: String = "Service Unavailable",
        page: Page = .applicationError
    ) {
        self.code = code
        self.description = description
        self.status = status
        self.reason = reason
        self.page = page
    }

    /// The small HTML page sent with the error.
    package var html: String {
        switch page {
        case .applicationError:
            Self.document(
                title: "Application Error",
                body: """
                    <h1>Application error</h1>
                    <p>An error occurred in the application and your page could not be served. If you are the \
                    application owner, check your logs for details: <code>logs APP --tail</code>.</p>
                    """)
        case .maintenance:
            Self.document(
                title: "Offline for Maintenance",
                body: """
                    <h1>Offline for maintenance</h1>
                    <p>This app is undergoing maintenance right now. Please check back later.</p>
                    """)
        case .noSuchApp:
            Self.document(
                title: "No such app",
                body: """
                    <h1>There's nothing here, yet.</h1>
                    <p>There is no app configured at that hostname. Perhaps the app owner has renamed it, \
                    or you mistyped the URL.</p>
                    """)
        }
    }

    private static func document(title: String, body: String) -> String {
        """
        <!DOCTYPE html>
        <html>
          <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(title)</title>
            <style>body{font-family:sans-serif;max-width:36em;margin:4em auto;padding:0 1em;color:#3f3f44}</style>
          </head>
          <body>
        \(body)
          </body>
        </html>

        """
    }
}
