package import Foundation

/// A person who pushes and runs commands: identified by e-mail; admins act on everyone.
package struct User: Hashable, Sendable, Codable {
    package var id: UUID
    package var email: String
    package var isAdmin: Bool
    /// Whether a password is set (for `heroku login -i`); the hash never leaves the store.
    package var hasPassword: Bool
    package var createdAt: Date
    package var updatedAt: Date

    package init(id: UUID, email: String, isAdmin: Bool, hasPassword: Bool, createdAt: Date, updatedAt: Date) {
        self.id = id
        self.email = email
        self.isAdmin = isAdmin
        self.hasPassword = hasPassword
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// Who is acting: the local superuser (`openruko admin`) or a registered user.
package enum Principal: Sendable, Hashable {
    case superuser
    case user(User)

    /// Whether this principal may act on every user and app.
    package var isAdmin: Bool {
        switch self {
        case .superuser: true
        case .user(let user): user.isAdmin
        }
    }

    /// The user behind the principal, if any.
    package var user: User? {
        if case .user(let user) = self { return user }
        return nil
    }
}
