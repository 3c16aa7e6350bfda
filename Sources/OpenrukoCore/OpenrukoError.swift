/// An error every front end can show: a user-facing message plus a kind that maps to
/// an exit status (SSH, admin) or an HTTP status and Heroku error id (API).
package struct OpenrukoError: Error, Equatable, Sendable, CustomStringConvertible {
    /// What went wrong, in the terms of Heroku's error ids.
    package enum Kind: String, Sendable {
        case notFound = "not_found"
        case forbidden = "forbidden"
        case invalid = "invalid_params"
        case conflict = "conflict"
        case unauthorized = "unauthorized"
        case unavailable = "unavailable"
        case `internal` = "internal_error"
    }

    /// The category of the failure.
    package var kind: Kind
    /// One sentence for the user: what was wrong and, where useful, what to do.
    package var message: String
    /// The Heroku resource the error is about (`app`, `user`, `key`…), when there is one.
    package var resource: String?

    package init(_ kind: Kind, _ message: String, resource: String? = nil) {
        self.kind = kind
        self.message = message
        self.resource = resource
    }

    package var description: String { message }
}

extension OpenrukoError {
    /// ` !     Couldn't find that app.`
    package static let appNotFound = OpenrukoError(.notFound, "Couldn't find that app.", resource: "app")

    /// The refusal for an app the caller may not touch.
    package static func noAccess(to app: String) -> OpenrukoError {
        OpenrukoError(.forbidden, "You do not have access to the app \(app).", resource: "app")
    }

    /// The refusal for an action reserved to admins.
    package static func adminOnly(_ action: String) -> OpenrukoError {
        OpenrukoError(.forbidden, "Only admins may \(action).")
    }

    /// A user that does not exist.
    package static func userNotFound(_ email: String) -> OpenrukoError {
        OpenrukoError(.notFound, "Couldn't find that user (\(email)).", resource: "user")
    }
}
