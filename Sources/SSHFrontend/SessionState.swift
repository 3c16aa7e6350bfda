package import OpenrukoCore

/// The authentication decisions of one SSH connection, without sockets: which key
/// probes to accept, when the connection is authenticated, when to give up, and whether
/// channels may be opened (swift-c-interop-notes P6).
///
/// ```swift
/// var state = SessionState()
/// state.authenticate(fingerprint: fp, signed: false, lookup: platform.key)  // probe: "acceptable?"
/// state.authenticate(fingerprint: fp, signed: true, lookup: platform.key)   // authenticated
/// state.user   // the key's user
/// ```
package struct SessionState: Sendable {
    /// Failed attempts after which every further attempt is refused.
    package static let maximumFailures = 10

    /// The authenticated user; nil until a signed attempt with a registered key.
    package private(set) var user: User?
    /// The key the user authenticated with.
    package private(set) var key: SSHKey?
    /// Refused attempts so far.
    package private(set) var failures = 0
    /// Keys already looked up on this connection (a probe is followed by a signed attempt
    /// with the same key: one store lookup serves both).
    private var known: [String: (SSHKey, User)?] = [:]

    package init() {}

    /// Decides one public-key attempt. A probe (`signed == false`) is accepted when the key
    /// is registered, without authenticating; a signed attempt (signature verified by
    /// libssh) authenticates the connection as the key's user.
    /// - Parameter lookup: finds a key and its user by `SHA256:` fingerprint (one indexed
    ///   lookup); a thrown error counts as "not registered".
    /// - Returns: whether to answer success.
    package mutating func authenticate(
        fingerprint: String, signed: Bool, lookup: (String) throws -> (SSHKey, User)?
    ) -> Bool {
        guard user == nil, failures < Self.maximumFailures else {
            failures += 1
            return false
        }
        let found: (SSHKey, User)?
        if let cached = known[fingerprint] {
            found = cached
        } else {
            found = (try? lookup(fingerprint)) ?? nil
            known[fingerprint] = found
        }
        guard let (key, owner) = found else {
            failures += 1
            return false
        }
        if signed {
            user = owner
            self.key = key
            known.removeAll()
        }
        return true
    }

    /// Whether the connection is authenticated (only then are channels opened).
    package var isAuthenticated: Bool { user != nil }

    /// Whether the client has used up its attempts and should be disconnected.
    package var isExhausted: Bool { user == nil && failures >= Self.maximumFailures }
}
