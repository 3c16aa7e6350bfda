import ArgumentParser
import Wiring
import Foundation
import OpenrukoCore
import Store

/// `seed-keys N --user EMAIL`: registers N random ed25519 public keys for a user through
/// the store (for the 100,000-key authentication benchmark).
struct SeedKeys: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "seed-keys")

    @Option var dataDir: String
    @Option var user: String
    @Argument var count: Int

    func run() async throws {
        let installation = try Installation.open(DataLayout(root: dataDir))
        guard let owner = try installation.store.user(email: user) else { throw ValidationError("no user \(user)") }
        let type = Array("ssh-ed25519".utf8)
        var generator = SystemRandomNumberGenerator()
        for index in 0..<count {
            var blob = Data([0, 0, 0, UInt8(type.count)] + type + [0, 0, 0, 32])
            blob.append(contentsOf: (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) })
            let key = try PublicKey(parsing: "ssh-ed25519 \(blob.base64EncodedString()) seed\(index)")
            _ = try installation.store.addKey(userID: owner.id, name: "seed-\(index)", key: key)
        }
    }
}
