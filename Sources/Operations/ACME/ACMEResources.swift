import Foundation

// The ACME resources openruko reads (RFC 8555 §7.1), decoded leniently: unknown members are
// ignored, and a missing one is a protocol failure the state machine reports.
// (A protocol file: several tiny Decodable types by design.)

/// The directory: where each request goes.
package struct ACMEDirectory: Decodable, Sendable, Equatable {
    package var newNonce: String
    package var newAccount: String
    package var newOrder: String
}

/// An RFC 7807 problem document, as ACME servers send errors.
package struct ACMEProblem: Decodable, Sendable, Equatable, Error {
    package var type: String?
    package var detail: String?

    package init(type: String?, detail: String?) {
        self.type = type
        self.detail = detail
    }

    /// What `certs:auto` shows: the detail, else the type.
    package var message: String { ACMEText.clean(detail ?? type ?? "unknown ACME error") }
    /// A stale nonce: the request is sent again with the new one (RFC 8555 §6.5).
    package var isBadNonce: Bool { type == "urn:ietf:params:acme:error:badNonce" }
}

/// An order (RFC 8555 §7.1.3).
package struct ACMEOrder: Decodable, Sendable, Equatable {
    package var status: String
    package var authorizations: [String]
    package var finalize: String
    package var certificate: String?
    package var error: ACMEProblem?

    package init(status: String, authorizations: [String], finalize: String, certificate: String? = nil, error: ACMEProblem? = nil) {
        self.status = status
        self.authorizations = authorizations
        self.finalize = finalize
        self.certificate = certificate
        self.error = error
    }
}

/// An authorization (RFC 8555 §7.1.4) and its challenges.
package struct ACMEAuthorization: Decodable, Sendable, Equatable {
    package struct Challenge: Decodable, Sendable, Equatable {
        package var type: String
        package var url: String
        package var token: String?
        package var status: String?
        package var error: ACMEProblem?

        package init(type: String, url: String, token: String?, status: String? = nil, error: ACMEProblem? = nil) {
            self.type = type
            self.url = url
            self.token = token
            self.status = status
            self.error = error
        }
    }

    package var status: String
    package var challenges: [Challenge]

    package init(status: String, challenges: [Challenge]) {
        self.status = status
        self.challenges = challenges
    }
}

/// Text from an ACME server made safe to store and show: printable, one line, bounded.
package enum ACMEText {
    /// Most characters of an error kept.
    static let maximumLength = 500

    /// `text` without control characters, at most `maximumLength` characters.
    package static func clean(_ text: String) -> String {
        let printable = text.unicodeScalars.map { $0.properties.generalCategory == .control ? " " : String($0) }.joined()
        return printable.count > maximumLength ? String(printable.prefix(maximumLength)) + "…" : printable
    }

    /// Whether `token` is a base64url token as RFC 8555 §8.3 requires (and short).
    package static func isToken(_ token: String) -> Bool {
        !token.isEmpty && token.utf8.count <= 128
            && token.utf8.allSatisfy {
                ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D || $0 == 0x5F
            }
    }

    /// Whether `host` is a DNS name a CA may issue for: lowercase letters, digits and hyphens
    /// in labels of 1–63, at least two labels, at most 253 characters, no wildcard, not an address.
    package static func isIssuableHost(_ host: String) -> Bool {
        guard host.utf8.count <= 253 else { return false }
        let labels = host.split(separator: ".", omittingEmptySubsequences: false)
        guard labels.count >= 2, labels.last.map({ !$0.allSatisfy(\.isNumber) }) ?? false else { return false }
        return labels.allSatisfy { label in
            (1...63).contains(label.utf8.count) && label.first != "-" && label.last != "-"
                && label.utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D }
        }
    }
}
