import Foundation
import HTTPTypes
import Hummingbird
import OpenrukoCore
import Operations

/// What an `Authorization` header carries: `Bearer TOKEN` (heroku CLI) or `Basic
/// base64(user:password)` (heroku3 sends an empty user and the token as password; `heroku
/// login -i` sends the e-mail and password).
enum Credentials: Equatable, Sendable {
    case bearer(String)
    case basic(user: String, password: String)

    /// Parses a header value; nil when it is absent, of another scheme, or malformed.
    init?(header: String?) {
        guard let header = header.map({ HeaderText.trimmed($0[...]) }), let space = header.firstIndex(of: " ") else { return nil }
        let scheme = header[..<space]
        let value = HeaderText.trimmed(header[header.index(after: space)...])
        guard !value.isEmpty else { return nil }
        if HeaderText.equalsIgnoringCase(scheme, "bearer") {
            self = .bearer(String(value))
        } else if HeaderText.equalsIgnoringCase(scheme, "basic") {
            guard let data = Data(base64Encoded: String(value)), let decoded = String(data: data, encoding: .utf8),
                let colon = decoded.firstIndex(of: ":")
            else { return nil }
            self = .basic(user: String(decoded[..<colon]), password: String(decoded[decoded.index(after: colon)...]))
        } else {
            return nil
        }
    }

    /// The token these credentials present: the Bearer value, or the Basic password.
    var token: String {
        switch self {
        case .bearer(let token): token
        case .basic(_, let password): password
        }
    }
}
