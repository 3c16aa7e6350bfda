package import Foundation

/// An add-on shared with an app that is not its own (`addons:attach ADDON --app APP --as
/// NAME`): the app's config vars `configVars` (`NAME_URL`) hold the add-on's URL.
package struct AddonAttachment: Hashable, Sendable {
    package var id: UUID
    package var addonID: UUID
    /// `postgresql-curved-12345`.
    package var addonName: String
    /// The app the add-on belongs to.
    package var ownerAppID: UUID
    package var ownerAppName: String
    /// The app it is attached to.
    package var appID: UUID
    package var appName: String
    /// `REPORTS`, `DATABASE` or `HEROKU_POSTGRESQL_AMBER`.
    package var name: String
    /// `REPORTS_URL`, sorted.
    package var configVars: [String]
    package var createdAt: Date

    package init(
        id: UUID, addonID: UUID, addonName: String, ownerAppID: UUID, ownerAppName: String, appID: UUID, appName: String, name: String,
        configVars: [String], createdAt: Date
    ) {
        self.id = id
        self.addonID = addonID
        self.addonName = addonName
        self.ownerAppID = ownerAppID
        self.ownerAppName = ownerAppName
        self.appID = appID
        self.appName = appName
        self.name = name
        self.configVars = configVars
        self.createdAt = createdAt
    }

    /// `Attach REPORTS (@ref:postgresql-curved-12345)`.
    package var attachDescription: String { "Attach \(name) (@ref:\(addonName))" }
    /// `Detach REPORTS (@ref:postgresql-curved-12345)`.
    package var detachDescription: String { "Detach \(name) (@ref:\(addonName))" }
}
