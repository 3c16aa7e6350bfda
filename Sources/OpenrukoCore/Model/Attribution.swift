package import Foundation

/// Who is recorded as having done something (releases, builds).
package struct Attribution: Sendable, Hashable {
    package var userID: UUID?
    package var email: String

    package init(userID: UUID?, email: String) {
        self.userID = userID
        self.email = email
    }

    package init(_ user: User) {
        self.init(userID: user.id, email: user.email)
    }
}
