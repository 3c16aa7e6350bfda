import Foundation
import OpenrukoCore
import Testing

/// The add-on catalog: what `addons:create` accepts, and the attachment names it picks.
@Suite(.timeLimit(.minutes(1))) struct AddonCatalogTests {
    @Test func servicesAndPlansResolveByNameAliasAndDefault() throws {
        #expect(try AddonCatalog.resolve("heroku-postgresql").1.name == "essential-0")
        #expect(try AddonCatalog.resolve("postgresql:standard-0").1.connectionLimit == 120)
        #expect(try AddonCatalog.resolve("HEROKU-POSTGRESQL:Essential-2").1.name == "essential-2")
        #expect(try AddonCatalog.resolve("redis").1.fullName == "heroku-redis:mini")
        #expect(try AddonCatalog.resolve("heroku-redis:premium-0").1.maxMemoryBytes == 50 << 20)
        #expect(throws: OpenrukoError.self) { try AddonCatalog.resolve("heroku-redis:essential-0") }
        #expect(throws: OpenrukoError.self) { try AddonCatalog.resolve("heroku-memcached") }
        #expect(throws: OpenrukoError.self) { try AddonCatalog.resolve("heroku-postgresql:mega-9") }
        #expect(throws: OpenrukoError.self) { try AddonCatalog.resolve("") }
    }

    @Test func theFirstAttachmentIsDatabaseThenColors() throws {
        var generator = SystemRandomNumberGenerator()
        let first = try AddonCatalog.attachment(existing: [], as: nil, using: &generator)
        #expect(first.name == "DATABASE" && first.configVars.first == "DATABASE_URL" && first.configVars.count == 2)
        #expect(first.configVars[1].hasPrefix("HEROKU_POSTGRESQL_") && first.configVars[1].hasSuffix("_URL"))
        let second = try AddonCatalog.attachment(existing: Set(first.configVars), as: nil, using: &generator)
        #expect(second.name.hasPrefix("HEROKU_POSTGRESQL_") && second.configVars == [second.name + "_URL"])
        #expect(second.configVars != [first.configVars[1]])
        #expect(try AddonCatalog.attachment(existing: [], as: "reports", using: &generator) == ("REPORTS", ["REPORTS_URL"]))
    }

    @Test func redisAttachmentsAreRedisThenColors() throws {
        var generator = SystemRandomNumberGenerator()
        let first = try AddonCatalog.attachment(existing: ["DATABASE_URL"], as: nil, service: AddonCatalog.redis, using: &generator)
        #expect(first.name == "REDIS" && first.configVars[0] == "REDIS_URL" && first.configVars[1].hasPrefix("HEROKU_REDIS_"))
        let second = try AddonCatalog.attachment(existing: Set(first.configVars), as: nil, service: AddonCatalog.redis, using: &generator)
        #expect(second.name.hasPrefix("HEROKU_REDIS_") && second.configVars == [second.name + "_URL"])
    }

    @Test func hostileAttachmentNamesAreRefused() {
        var generator = SystemRandomNumberGenerator()
        for name in ["", "1DB", "DB-X", "DB URL", "DB;rm", "LD_PRELOAD=", String(repeating: "A", count: 65), "ÄDB"] {
            #expect(throws: OpenrukoError.self, "\(name)") { try AddonCatalog.attachment(existing: [], as: name, using: &generator) }
        }
        #expect(throws: OpenrukoError.self) { try AddonCatalog.attachment(existing: ["DATABASE_URL"], as: "DATABASE", using: &generator) }
        let all = Set(AddonCatalog.colors.map { "HEROKU_POSTGRESQL_\($0)_URL" })
        #expect(throws: OpenrukoError.self) { try AddonCatalog.attachment(existing: all, as: nil, using: &generator) }
    }

    @Test func credentialsMakeARequireSSLURL() {
        let credentials = DatabaseCredentials(host: "10.212.0.1", port: 16001, database: "dabc", role: "dabc", password: "ff")
        #expect(credentials.url == "postgres://dabc:ff@10.212.0.1:16001/dabc?sslmode=require")
        let redis = DatabaseCredentials(host: "10.212.0.1", port: 14001, database: "rabc", role: DatabaseCredentials.redisRole, password: "ff")
        #expect(redis.url == "redis://:ff@10.212.0.1:14001")
    }
}
