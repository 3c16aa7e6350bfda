package import Foundation

/// A provisioned add-on of an app (`addons:create APP heroku-postgresql`): one database and
/// its role on openruko's PostgreSQL server, attached to the app under `attachmentName`
/// (`DATABASE`), whose URL is in the app's config vars `configVars`.
package struct Addon: Hashable, Sendable {
    package var id: UUID
    /// `postgresql-curved-12345`, unique on the installation.
    package var name: String
    package var appID: UUID
    package var appName: String
    /// The service's name (`heroku-postgresql`).
    package var service: String
    /// The plan's name (`essential-0`).
    package var plan: String
    /// `DATABASE`, `HEROKU_POSTGRESQL_AMBER` or the `--as` name.
    package var attachmentName: String
    /// The config vars holding its URL, sorted (`DATABASE_URL`, `HEROKU_POSTGRESQL_AMBER_URL`).
    package var configVars: [String]
    /// Where and how it is reached (holds the password: never log it).
    package var credentials: DatabaseCredentials
    package var createdAt: Date
    package var updatedAt: Date

    package init(
        id: UUID, name: String, appID: UUID, appName: String, service: String, plan: String, attachmentName: String,
        configVars: [String], credentials: DatabaseCredentials, createdAt: Date, updatedAt: Date
    ) {
        self.id = id
        self.name = name
        self.appID = appID
        self.appName = appName
        self.service = service
        self.plan = plan
        self.attachmentName = attachmentName
        self.configVars = configVars
        self.credentials = credentials
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    /// The `Attach DATABASE (@ref:postgresql-curved-12345)` release description (Heroku's).
    package var attachDescription: String { "Attach \(attachmentName) (@ref:\(name))" }
    /// The `Detach DATABASE (@ref:postgresql-curved-12345)` release description.
    package var detachDescription: String { "Detach \(attachmentName) (@ref:\(name))" }
}

/// One database on a PostgreSQL server and the role that owns it. `url` holds the password:
/// it goes into config vars only, never into a log line.
package struct DatabaseCredentials: Hashable, Sendable, Codable {
    package var host: String
    package var port: Int
    package var database: String
    package var role: String
    package var password: String

    package init(host: String, port: Int, database: String, role: String, password: String) {
        self.host = host
        self.port = port
        self.database = database
        self.role = role
        self.password = password
    }

    /// The `role` of a Redis add-on's credentials (its ACL user; `database` names its server).
    package static let redisRole = "default"

    /// `postgres://ROLE:PASSWORD@HOST:PORT/DATABASE?sslmode=require`, or a Redis add-on's
    /// `redis://:PASSWORD@HOST:PORT` (Heroku's shape).
    package var url: String {
        if role == Self.redisRole { return "redis://:\(password)@\(host):\(port)" }
        return "postgres://\(role):\(password)@\(host):\(port)/\(database)?sslmode=require"
    }
}
