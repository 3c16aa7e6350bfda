import Foundation
package import OpenrukoCore
package import Store

// MARK: - Who may do what

extension Platform {
    /// The app named (or with that id), if `principal` may act on it: admins act on every
    /// app, owners and collaborators on theirs.
    /// - Throws: `notFound` ("Couldn't find that app.") for a missing app and for one the
    ///   principal may not touch alike.
    package func app(_ nameOrID: String, as principal: Principal) throws(OpenrukoError) -> App {
        guard let app = try store.app(nameOrID) else { throw OpenrukoError.appNotFound }
        try authorize(principal, on: app)
        return app
    }

    /// Checks that `principal` may act on `app`.
    package func authorize(_ principal: Principal, on app: App) throws(OpenrukoError) {
        switch principal {
        case .superuser: return
        case .user(let user):
            if user.isAdmin || user.id == app.ownerID { return }
            if try store.hasAccess(userID: user.id, appID: app.id) { return }
            // Exactly like an app that does not exist: no one learns which names are taken.
            throw OpenrukoError.appNotFound
        }
    }

    /// Checks that `principal` is an admin (or the superuser).
    package func requireAdmin(_ principal: Principal, to action: String) throws(OpenrukoError) {
        guard principal.isAdmin else { throw OpenrukoError.adminOnly(action) }
    }

    /// The user an action is about: `email` when given (others only for admins), else the
    /// principal itself, or for the superuser the first admin.
    package func subject(_ email: String?, as principal: Principal, action: String) throws(OpenrukoError) -> User {
        if let email {
            let address = try EmailAddress(email)
            if let me = principal.user, me.email == address.rawValue { return me }
            try requireAdmin(principal, to: action)
            guard let user = try store.user(email: address.rawValue) else { throw OpenrukoError.userNotFound(address.rawValue) }
            return user
        }
        switch principal {
        case .user(let user): return user
        case .superuser:
            guard let admin = try store.firstAdmin() else {
                throw OpenrukoError(
                    .invalid, "There is no admin user yet. Create one with 'users:create EMAIL --admin', or pass --user EMAIL.")
            }
            return admin
        }
    }

    /// Who releases and builds are attributed to.
    package func attribution(_ principal: Principal) throws(OpenrukoError) -> Attribution {
        switch principal {
        case .user(let user): return Attribution(user)
        case .superuser:
            if let admin = try store.firstAdmin() { return Attribution(admin) }
            return Attribution(userID: nil, email: "superuser@localhost")
        }
    }
}
