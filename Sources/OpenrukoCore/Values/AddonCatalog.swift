package import Foundation

/// A plan of an add-on service (`heroku-postgresql:essential-0`, `heroku-redis:mini`): its
/// connection limit is set on the database's role (Redis: `maxclients`), its memory limit on
/// a Redis server (`maxmemory`).
package struct AddonPlan: Hashable, Sendable {
    package var id: UUID
    /// `essential-0`.
    package var name: String
    /// Connections the role may hold at once.
    package var connectionLimit: Int
    /// The service's name (`heroku-postgresql`).
    package var service = "heroku-postgresql"
    /// A Redis server's `maxmemory` in bytes (0 for PostgreSQL: no size limit is enforced).
    package var maxMemoryBytes = 0
    /// `heroku-postgresql:essential-0`.
    package var fullName: String { "\(service):\(name)" }
}

/// An add-on service openruko provides.
package struct AddonService: Hashable, Sendable {
    package var id: UUID
    /// `heroku-postgresql`.
    package var name: String
    /// `Heroku Postgres`.
    package var humanName: String
    /// Other names `addons:create` accepts (`postgresql`).
    package var aliases: [String]
    /// The plans, the default first.
    package var plans: [AddonPlan]
    /// The first attachment's name (`DATABASE`: `DATABASE_URL`).
    package var primaryAttachment = "DATABASE"
    /// The colored attachments' prefix (`HEROKU_POSTGRESQL`: `HEROKU_POSTGRESQL_RED_URL`).
    package var colorPrefix = "HEROKU_POSTGRESQL"
    /// The add-on names' prefix (`postgresql`: `postgresql-curved-12345`).
    package var namePrefix = "postgresql"
}

/// The services and plans `addons:create` offers, and the names it gives (pure).
///
/// ```swift
/// let (service, plan) = try AddonCatalog.resolve("heroku-postgresql:standard-0")
/// plan.connectionLimit   // 120
/// AddonCatalog.attachment(existing: [], as: nil)   // ("DATABASE", ["DATABASE_URL", "HEROKU_POSTGRESQL_…_URL"])
/// ```
package enum AddonCatalog {
    /// Heroku Postgres, with Heroku's plan names and connection limits.
    package static let postgres = AddonService(
        id: UUID(uuidString: "6c67493d-8fc2-4cd4-9161-4f1ec11cbe69")!, name: "heroku-postgresql", humanName: "Heroku Postgres",
        aliases: ["postgresql", "postgres", "heroku-postgres"],
        plans: [
            ("essential-0", 20, "0a1b2c3d-0000-4000-8000-000000000000"), ("essential-1", 20, "0a1b2c3d-0000-4000-8000-000000000001"),
            ("essential-2", 40, "0a1b2c3d-0000-4000-8000-000000000002"), ("standard-0", 120, "0a1b2c3d-0000-4000-8000-000000000010"),
            ("standard-2", 400, "0a1b2c3d-0000-4000-8000-000000000012"), ("standard-3", 500, "0a1b2c3d-0000-4000-8000-000000000013"),
            ("standard-4", 500, "0a1b2c3d-0000-4000-8000-000000000014"), ("premium-0", 120, "0a1b2c3d-0000-4000-8000-000000000020"),
        ].map { AddonPlan(id: UUID(uuidString: $0.2)!, name: $0.0, connectionLimit: $0.1) })

    /// Heroku Data for Redis, with Heroku's plan names and memory limits (`maxmemory`) and
    /// client limits (`maxclients`).
    package static let redis = AddonService(
        id: UUID(uuidString: "4f1d2a8e-5b7c-4e39-9a61-2d8c0f3b7e21")!, name: "heroku-redis", humanName: "Heroku Data for Redis",
        aliases: ["redis"],
        plans: [
            ("mini", 25, 20, "1a2b3c4d-0000-4000-8000-000000000000"), ("premium-0", 50, 40, "1a2b3c4d-0000-4000-8000-000000000010"),
            ("premium-1", 100, 80, "1a2b3c4d-0000-4000-8000-000000000011"), ("premium-2", 250, 200, "1a2b3c4d-0000-4000-8000-000000000012"),
            ("premium-3", 500, 400, "1a2b3c4d-0000-4000-8000-000000000013"), ("premium-5", 1024, 1000, "1a2b3c4d-0000-4000-8000-000000000015"),
        ].map {
            AddonPlan(id: UUID(uuidString: $0.3)!, name: $0.0, connectionLimit: $0.2, service: "heroku-redis", maxMemoryBytes: $0.1 << 20)
        }, primaryAttachment: "REDIS", colorPrefix: "HEROKU_REDIS", namePrefix: "redis")

    /// Every service.
    package static let services: [AddonService] = [postgres, redis]

    /// The service named (or aliased, or with this id) `text`, or nil.
    package static func service(_ text: String) -> AddonService? {
        let key = text.lowercased()
        return services.first { $0.name == key || $0.aliases.contains(key) || $0.id.uuidString.lowercased() == key }
    }

    /// `SERVICE[:PLAN]` as a service and plan (the default plan when none is given).
    /// - Throws: `OpenrukoError.notFound` naming what exists.
    package static func resolve(_ text: String) throws(OpenrukoError) -> (AddonService, AddonPlan) {
        let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
        guard let first = parts.first, let service = service(first) else {
            let names = services.map(\.name).joined(separator: ", ")
            throw OpenrukoError(
                .notFound, "Couldn't find either the add-on service or the add-on plan of \(text.prefix(100).debugDescription). "
                    + "Services: \(names).", resource: "addon_service")
        }
        guard parts.count == 2 else { return (service, service.plans[0]) }
        guard let plan = service.plans.first(where: { $0.name == parts[1].lowercased() || $0.id.uuidString.lowercased() == parts[1].lowercased() })
        else {
            throw OpenrukoError(
                .notFound, "Couldn't find the plan \(parts[1].prefix(100).debugDescription) of \(service.name). Plans: "
                    + service.plans.map(\.name).joined(separator: ", ") + ".", resource: "addon_plan")
        }
        return (service, plan)
    }

    /// Heroku's attachment colors (`HEROKU_POSTGRESQL_AMBER_URL`).
    package static let colors = [
        "AMBER", "AQUA", "BLACK", "BLUE", "BRONZE", "BROWN", "CHARCOAL", "COBALT", "COPPER", "CRIMSON", "CYAN", "GOLD", "GRAY",
        "GREEN", "IVORY", "JADE", "LIME", "MAROON", "MAUVE", "NAVY", "OLIVE", "ONYX", "ORANGE", "PINK", "PUCE", "PURPLE", "RED",
        "ROSE", "SILVER", "TEAL", "VIOLET", "WHITE", "YELLOW",
    ]

    static let adjectives = [
        "amorphous", "angular", "aerodynamic", "asymmetrical", "clean", "closed", "concentric", "convex", "cubic", "curly",
        "curved", "cylindrical", "deep", "defined", "dimensional", "elliptical", "encircled", "flat", "fluffy", "graceful",
        "horizontal", "infinite", "octagonal", "opaque", "parallel", "perpendicular", "polished", "regular", "rigid", "round",
        "shallow", "sinuous", "slippery", "solid", "spherical", "symmetrical", "tapered", "transparent", "triangular", "vertical",
    ]

    /// A random add-on name like `postgresql-curved-12345` (`redis-…` with `prefix`).
    package static func randomName(prefix: String = "postgresql", using generator: inout some RandomNumberGenerator) -> String {
        "\(prefix)-\(adjectives.randomElement(using: &generator)!)-\(Int.random(in: 10_000...99_999, using: &generator))"
    }

    /// The attachment name and config vars of a new add-on of an app whose add-ons already
    /// use `existing` config vars: `DATABASE` (with `DATABASE_URL`) when free, and always a
    /// `HEROKU_POSTGRESQL_COLOR_URL` of an unused color; `--as NAME` gives `NAME_URL` only.
    /// - Throws: `OpenrukoError.invalid` for a bad or taken `--as` name, `conflict` when no
    ///   color is left.
    /// `service` names the Redis ones (`REDIS_URL`, `HEROKU_REDIS_COLOR_URL`).
    package static func attachment(
        existing: Set<String>, as name: String?, service: AddonService = AddonCatalog.postgres, using generator: inout some RandomNumberGenerator
    ) throws(OpenrukoError) -> (name: String, configVars: [String])
    {
        if let name {
            let upper = name.uppercased()
            guard upper.count <= 64, let first = upper.unicodeScalars.first, ("A"..."Z").contains(first),
                upper.unicodeScalars.allSatisfy({ ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "_" })
            else {
                throw OpenrukoError(
                    .invalid, "Attachment names start with a letter and hold only letters, digits and underscores (like DATABASE).",
                    resource: "addon_attachment")
            }
            guard !existing.contains(upper + "_URL") else {
                throw OpenrukoError(.conflict, "\(upper)_URL is already used by another add-on of this app.", resource: "addon_attachment")
            }
            return (upper, [upper + "_URL"])
        }
        let free = colors.filter { !existing.contains("\(service.colorPrefix)_\($0)_URL") }
        guard let color = free.randomElement(using: &generator) else {
            throw OpenrukoError(.conflict, "This app has no attachment color left; pass --as NAME.", resource: "addon_attachment")
        }
        let colored = "\(service.colorPrefix)_\(color)"
        let primary = service.primaryAttachment
        if existing.contains(primary + "_URL") { return (colored, [colored + "_URL"]) }
        return (primary, [primary + "_URL", colored + "_URL"])
    }
}
