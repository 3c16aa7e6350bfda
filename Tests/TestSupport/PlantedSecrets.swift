import Foundation

/// What a hostile build reaches for in the isolation tests: another app's build cache
/// (`DATA_DIR/cache/victim/keep`) and a host file outside `DATA_DIR` (`outside/secret`);
/// `intact` tells whether both still hold what was planted.
package struct PlantedSecrets: Sendable {
    /// `DATA_DIR/cache/victim`.
    package let victimCache: String
    /// A host directory outside `DATA_DIR`, holding `secret`.
    package let outside: String

    /// Writes both under `dataDir` and `directory`.
    package static func plant(dataDir: String, in directory: TemporaryDirectory) throws -> PlantedSecrets {
        let secrets = PlantedSecrets(victimCache: dataDir + "/cache/victim", outside: directory.appending("outside"))
        for (folder, file, text) in [(secrets.victimCache, "keep", "victim's\n"), (secrets.outside, "secret", "host's\n")] {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            try text.write(toFile: folder + "/" + file, atomically: true, encoding: .utf8)
        }
        return secrets
    }

    /// Both files are there with what was planted.
    package var intact: Bool {
        (try? String(contentsOfFile: victimCache + "/keep", encoding: .utf8)) == "victim's\n"
            && (try? String(contentsOfFile: outside + "/secret", encoding: .utf8)) == "host's\n"
    }
}
