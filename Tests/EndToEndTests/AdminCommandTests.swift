import Foundation
import TestSupport
import Testing

/// Every command of the table, through `openruko admin` as a real subprocess.
@Suite(.timeLimit(.minutes(15))) struct AdminCommandTests {
    let directory = TemporaryDirectory("openruko-e2e")

    func admin(_ words: String..., input: String = "") async throws -> ProcessResult {
        try await OpenrukoBinary.admin(words, dataDir: directory.path, input: input)
    }

    @discardableResult
    func ok(_ words: String..., input: String = "") async throws -> String {
        let result = try await OpenrukoBinary.admin(words, dataDir: directory.path, input: input)
        #expect(result.status == 0, "\(words): \(result.stderr)")
        #expect(result.stderr.isEmpty, "\(words): \(result.stderr)")
        return result.stdout
    }

    func refused(_ words: String..., input: String = "", saying message: String) async throws {
        let result = try await OpenrukoBinary.admin(words, dataDir: directory.path, input: input)
        #expect(result.status == 1, "\(words) should fail")
        #expect(result.stderr.hasPrefix(" !     "), "\(words): \(result.stderr)")
        #expect(result.stderr.contains(message), "\(words): \(result.stderr)")
    }

    @Test func everyCommandRoundTrips() async throws {
        #expect(try await ok("version").hasPrefix("openruko "))
        #expect(try await ok("help").contains("config:set"))
        #expect(try await ok("help", "config:set").contains("USAGE"))
        #expect(try await ok("whoami").contains("superuser"))

        #expect(try await ok("users:create", "admin@example.com", "--admin").contains("admin@example.com"))
        try await ok("users:create", "dev@example.com")
        #expect(try await ok("users").split(separator: "\n").contains { $0.hasPrefix("dev@example.com ") && $0.hasSuffix(" user") })
        #expect(try await ok("users", "--json").contains("\"is_admin\" : true"))
        try await ok("users:passwd", "dev@example.com", input: "correct horse battery\n")

        let key = try await TestKey.generate("ed25519", in: directory.path, name: "laptop")
        #expect(try await ok("keys:add", "--user", "dev@example.com", input: key.publicKey).contains("laptop@test"))
        #expect(try await ok("keys", "--user", "dev@example.com").contains("SHA256:"))
        #expect(try await ok("keys:remove", "laptop@test", "--user", "dev@example.com").contains("Removed key"))
        let token = try await ok("tokens:create", "--user", "dev@example.com")
        #expect(token.hasPrefix("ork_") && token.count > 60)

        #expect(try await ok("apps:create", "web1", "--user", "dev@example.com").contains("ssh://git@"))
        #expect(try await ok("apps").contains("web1  dev@example.com"))
        #expect(try await ok("apps:info", "web1").contains("Owner:"))
        #expect(try await ok("apps:info", "-a", "web1", "--json").contains("\"git_url\""))

        try await ok("access:add", "web1", "admin@example.com", input: "")
        #expect(try await ok("access", "web1").contains("admin@example.com  collaborator"))
        try await ok("access:remove", "-a", "web1", "admin@example.com")

        #expect(try await ok("config:set", "web1", "FOO=bar", "URL=postgres://x?a=b").contains("done, v2"))
        #expect(try await ok("config:get", "web1", "URL") == "postgres://x?a=b\n")
        #expect(try await ok("config", "web1").contains("FOO: bar"))
        #expect(try await ok("config:unset", "-a", "web1", "FOO").contains("done, v3"))
        let releases = try await ok("releases", "web1")
        #expect(releases.contains("v3  Remove FOO config vars"))
        #expect(releases.contains("v1  Initial release"))
        #expect(try await ok("releases:info", "web1", "v2").contains("Set FOO, URL config vars"))
        #expect(try await ok("rollback", "web1", "v2").contains("Rollback to v2"))
        #expect(try await ok("config", "web1", "--json").contains("\"FOO\" : \"bar\""))

        #expect(try await ok("buildpacks:set", "web1", "https://example.com/bp.tgz").contains("Buildpack set"))
        #expect(try await ok("buildpacks", "web1").contains("https://example.com/bp.tgz"))
        try await ok("domains:add", "web1", "www.example.org")
        #expect(try await ok("domains", "web1").contains("www.example.org"))
        try await ok("domains:remove", "web1", "www.example.org")
        try await ok("drains:add", "web1", "syslog://127.0.0.1:514")
        #expect(try await ok("drains", "web1").contains("syslog://127.0.0.1:514"))
        try await ok("drains:remove", "web1", "syslog://127.0.0.1:514")
        #expect(try await ok("ps:scale", "web1") == "\n")
        #expect(try await ok("builds", "web1").contains("web1 Builds"))

        try await ok("apps:destroy", "web1", "--confirm", "web1")
        try await ok("users:destroy", "dev@example.com")
        #expect(!(try await ok("users")).contains("dev@example.com"))
    }

    @Test func badInputIsRefusedClearlyAndWritesNothing() async throws {
        try await ok("users:create", "admin@example.com", "--admin")
        try await ok("users:create", "dev@example.com")
        try await ok("apps:create", "web1", "--user", "dev@example.com")
        let before = try await ok("releases", "web1", "--json")

        try await refused("apps:create", "Web_1", saying: "is invalid")
        try await refused("apps:create", "ab", saying: "is invalid")
        try await refused("apps:create", "web1", saying: "Name web1 is already taken")
        try await refused("keys:add", "--user", "dev@example.com", input: "ssh-ed25519 AAAA-not-a-key", saying: "Malformed public key")
        try await refused("keys:add", "--user", "dev@example.com", input: "", saying: "No public key given")
        let key = try await TestKey.generate("ed25519", in: directory.path)
        try await ok("keys:add", "--user", "dev@example.com", input: key.publicKey)
        try await refused("keys:add", "--user", "admin@example.com", input: key.publicKey, saying: "already registered")
        try await refused("keys:add", "--user", "ghost@example.com", input: key.publicKey, saying: "Couldn't find that user")
        try await refused("users:create", "not-an-email", saying: "not a valid e-mail")
        try await refused("users:create", "dev@example.com", saying: "already exists")
        try await refused("config:set", "web1", "=x", saying: "cannot be empty")
        try await refused("config:set", "web1", "A B=x", saying: "cannot contain spaces")
        try await refused("config:set", "web1", "A\nB=x", saying: "cannot contain spaces, newlines")
        try await refused("config:set", "web1", "NOEQUALS", saying: "Use KEY=value")
        try await refused("rollback", "web1", "v9", saying: "Couldn't find release v9")
        try await refused("rollback", "web1", saying: "no earlier release")
        try await refused("config", "ghost", saying: "Couldn't find that app.")
        try await refused("ps:scale", "web1", "web=two", saying: "Invalid scaling argument")
        try await refused("domains:add", "web1", "not a host", saying: "not a valid hostname")
        try await refused("drains:add", "web1", "ftp://x", saying: "which openruko cannot drain to")
        try await refused("drains:add", "web1", "syslog://logs.example.invalid:514", saying: "cannot be resolved")
        try await refused("nope", saying: "'nope' is not an openruko command. See 'help'.")
        try await refused("apps:destroy", "web1", saying: "--confirm web1")
        try await refused("config:set", saying: "No app specified")

        #expect(try await ok("releases", "web1", "--json") == before)
        #expect(try await ok("config", "web1") == "=== web1 Config Vars\n")
        #expect(try await ok("keys", "--user", "admin@example.com").contains("No keys"))
    }
}
