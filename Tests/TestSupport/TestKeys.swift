import Foundation

/// SSH key pairs made with the real `ssh-keygen`.
package struct TestKey: Sendable {
    /// Private key file.
    package let privateKeyPath: String
    /// The `.pub` line.
    package let publicKey: String

    /// Generates a key of `type` (`ed25519`, `ecdsa`, `rsa`) in `directory`.
    package static func generate(_ type: String, in directory: String, name: String? = nil) async throws -> TestKey {
        let path = directory + "/" + (name ?? "id_\(type)_\(UUID().uuidString.prefix(6))")
        var arguments = ["-q", "-t", type, "-N", "", "-f", path, "-C", "\(name ?? type)@test"]
        if type == "rsa" { arguments += ["-b", "2048"] }
        let result = try await ProcessRunner.run("/usr/bin/ssh-keygen", arguments)
        guard result.status == 0 else { throw TestFailure("ssh-keygen failed: \(result.stderr)") }
        let publicKey = try String(contentsOfFile: path + ".pub", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        return TestKey(privateKeyPath: path, publicKey: publicKey)
    }
}

/// A test precondition that did not hold.
package struct TestFailure: Error, CustomStringConvertible {
    package let description: String
    package init(_ description: String) { self.description = description }
}
