import Foundation
import TestSupport
import Testing

@Suite(.timeLimit(.minutes(15))) struct AdminConcurrencyTests {
    /// Two processes writing releases of one app at once: versions 1…401, no gap, no duplicate.
    @Test func twoProcessesCreatingReleasesNeverCollide() async throws {
        let directory = TemporaryDirectory("openruko-e2e")
        let data = directory.path
        _ = try await OpenrukoBinary.admin(["users:create", "admin@example.com", "--admin"], dataDir: data)
        let created = try await OpenrukoBinary.admin(["apps:create", "race"], dataDir: data)
        try #require(created.status == 0, "\(created.stderr)")

        let perWriter = 200
        let failures = try await withThrowingTaskGroup(of: [String].self) { group in
            for writer in ["A", "B"] {
                group.addTask {
                    var errors: [String] = []
                    for i in 0..<perWriter {
                        let result = try await OpenrukoBinary.admin(["config:set", "race", "\(writer)\(i)=\(i)"], dataDir: data)
                        if result.status != 0 { errors.append(result.stderr) }
                    }
                    return errors
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        #expect(failures.isEmpty, "\(failures.prefix(3))")

        let listing = try await OpenrukoBinary.admin(["releases", "race", "--json", "-n", "1000"], dataDir: data)
        let releases = try JSONSerialization.jsonObject(with: Data(listing.stdout.utf8)) as? [[String: Any]] ?? []
        let versions = releases.compactMap { $0["version"] as? Int }.sorted()
        #expect(versions == Array(1...(2 * perWriter + 1)))
        let config = try await OpenrukoBinary.admin(["config", "race", "--json"], dataDir: data)
        let vars = try JSONSerialization.jsonObject(with: Data(config.stdout.utf8)) as? [String: String] ?? [:]
        #expect(vars.count == 2 * perWriter)
    }
}
