import Foundation
import GRDB
import OpenrukoCore

/// A row of `addons` (Migration0007Addons). `configVars` is a JSON array.
struct AddonRow: TableRow {
    static let databaseTableName = "addons"
    var id: UUID
    var name: String
    var appId: UUID
    var service: String
    var plan: String
    var attachmentName: String
    var configVars: String
    var host: String
    var port: Int
    var databaseName: String
    var roleName: String
    var password: String
    var createdAt: Date
    var updatedAt: Date

    init(_ addon: Addon) {
        id = addon.id
        name = addon.name
        appId = addon.appID
        service = addon.service
        plan = addon.plan
        attachmentName = addon.attachmentName
        configVars = String(decoding: (try? JSONEncoder().encode(addon.configVars)) ?? Data("[]".utf8), as: UTF8.self)
        host = addon.credentials.host
        port = addon.credentials.port
        databaseName = addon.credentials.database
        roleName = addon.credentials.role
        password = addon.credentials.password
        createdAt = addon.createdAt
        updatedAt = addon.updatedAt
    }

    func addon(appName: String) -> Addon {
        Addon(
            id: id, name: name, appID: appId, appName: appName, service: service, plan: plan, attachmentName: attachmentName,
            configVars: (try? JSONDecoder().decode([String].self, from: Data(configVars.utf8))) ?? [],
            credentials: DatabaseCredentials(host: host, port: port, database: databaseName, role: roleName, password: password),
            createdAt: createdAt, updatedAt: updatedAt)
    }
}
