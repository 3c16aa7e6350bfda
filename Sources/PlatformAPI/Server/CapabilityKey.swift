import Crypto
import Foundation

/// Signs the payloads of capability URLs (log sessions, build output, source and slug
/// uploads): URLs that carry their own authority because their clients send no
/// `Authorization` (EventSource, `got`, pre-signed PUTs). A token is
/// `base64url(JSON payload).base64url(HMAC-SHA256)`. The daemon keeps its key in a file, so
/// the URLs it handed out outlive a restart (until they expire).
struct CapabilityKey: Sendable {
    private let secret: Data

    /// A fresh random key.
    init() {
        secret = SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }
    }

    private init(secret: Data) {
        self.secret = secret
    }

    /// The key stored at `path` (32 bytes, mode 0600), made there first when missing or
    /// unreadable; a fresh in-memory key when the file cannot be written either.
    static func persistent(at path: String) -> CapabilityKey {
        if let data = FileManager.default.contents(atPath: path), data.count == 32 { return CapabilityKey(secret: data) }
        let fresh = CapabilityKey()
        let temporary = path + ".tmp"
        if FileManager.default.createFile(atPath: temporary, contents: fresh.secret, attributes: [.posixPermissions: 0o600]) {
            rename(temporary, path)
        }
        return fresh
    }

    private var key: SymmetricKey { SymmetricKey(data: secret) }

    /// A token for `payload`.
    func seal(_ payload: some Encodable) -> String {
        let data = (try? JSONEncoder().encode(payload)) ?? Data()
        let mac = HMAC<SHA256>.authenticationCode(for: data, using: key)
        return Self.base64URL(data) + "." + Self.base64URL(Data(mac))
    }

    /// The payload of a token this key sealed, or nil for anything else.
    func open<T: Decodable>(_ token: String, as type: T.Type) -> T? {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, let data = Self.data(base64URL: parts[0]), let mac = Self.data(base64URL: parts[1]),
            HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: data, using: key)
        else { return nil }
        return try? JSONDecoder().decode(T.self, from: data)
    }

    static func base64URL(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func data(base64URL text: Substring) -> Data? {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        return Data(base64Encoded: base64)
    }
}

/// What a capability URL grants, with its expiry (Unix seconds).
struct Grant: Codable, Sendable, Hashable {
    enum Kind: String, Codable, Sendable {
        case logs, buildOutput, sourceUpload, sourceDownload, slugUpload
    }

    var kind: Kind
    /// The user who asked for it; their access is checked again when it is used.
    var user: UUID
    var app: UUID?
    /// The build, source or slug.
    var object: UUID?
    var expires: Int
    /// Log session options.
    var lines: Int?
    var tail: Bool?
    var dyno: String?
    var source: String?

    var isExpired: Bool { Int(Date().timeIntervalSince1970) > expires }

    /// Unix time `seconds` from now.
    static func expiry(in seconds: Int) -> Int { Int(Date().timeIntervalSince1970) + seconds }
}
