import Foundation
import HTTPTypes
import Hummingbird
import OpenrukoCore
import Operations

/// The caller's account (`GET /account`).
struct AccountResource: Encodable, Sendable {
    var allow_tracking = false
    var beta = false
    var created_at: String
    var email: String
    var federated = false
    var id: String
    var identity_provider: Nullable<NamedReference> = nil
    var last_login: Nullable<String> = nil
    var name: Nullable<String> = nil
    var sms_number: Nullable<String> = nil
    var suspended_at: Nullable<String> = nil
    var delinquent_at: Nullable<String> = nil
    var two_factor_authentication = false
    var updated_at: String
    var verified = true
    var country_of_residence: Nullable<String> = nil
    var default_organization: Nullable<NamedReference> = nil
    var default_team: Nullable<NamedReference> = nil

    init(_ user: User) {
        created_at = user.createdAt.wire
        email = user.email
        id = user.id.wire
        updated_at = user.updatedAt.wire
    }
}

/// An SSH key (`GET /account/keys`); `comment` is the key's name, which `keys:remove` matches.
struct KeyResource: Encodable, Sendable {
    var comment: String
    var created_at: String
    var email: String
    var fingerprint: String
    var id: String
    var public_key: String
    var updated_at: String

    init(_ key: SSHKey) {
        comment = key.name
        created_at = key.createdAt.wire
        email = key.userEmail
        fingerprint = key.fingerprint
        id = key.id.wire
        public_key = key.publicKey
        updated_at = key.updatedAt.wire
    }
}

/// An OAuth authorization: an API token. Only hashes are stored, so `access_token.token` is
/// shown only when it is known (at creation, and for the token the request came with) and
/// is empty otherwise; the object is always there because clients walk into it.
struct AuthorizationResource: Encodable, Sendable {
    var access_token: AccessToken
    var client: Nullable<NamedReference> = nil
    var created_at: String
    var description: String
    var grant: Nullable<IDReference> = nil
    var id: String
    var refresh_token: Nullable<AccessToken> = nil
    var scope = ["global"]
    var session: Nullable<IDReference> = nil
    var updated_at: String
    var user: User

    struct AccessToken: Encodable, Sendable {
        var expires_in: Nullable<Int>
        var id: String
        var token: String
    }

    struct User: Encodable, Sendable {
        var id: String
        var email: String
        var full_name: Nullable<String> = nil
    }

    init(_ token: APIToken, user: OpenrukoCore.User, secret: String?) {
        let expiresIn = token.expiresAt.map { max(0, Int($0.timeIntervalSinceNow)) }
        access_token = AccessToken(expires_in: Nullable(expiresIn), id: token.id.wire, token: secret ?? "")
        created_at = token.createdAt.wire
        description = token.description
        id = token.id.wire
        updated_at = token.createdAt.wire
        self.user = User(id: user.id.wire, email: user.email)
    }
}

/// `{"remaining": N}` (`GET /account/rate-limits`).
struct RateLimitResource: Encodable, Sendable {
    var remaining: Int
}
