import Foundation
import OpenrukoCore

// Wire shapes of add-ons (issue 19): an add-on, its attachment, the add-on services and their
// plans, as Heroku's Platform API schema gives them. Never a credential: an add-on names its
// config vars, whose values only `/apps/{app}/config-vars` shows.

/// `GET /apps/{app}/addons`, `GET /addons/{id}`: what `heroku addons` and `addons:info` read.
struct AddonResource: Encodable, Sendable {
    /// `{"cents","contract","unit"}` (openruko bills nothing).
    struct Price: Encodable, Sendable {
        var cents = 0
        var contract = false
        var unit = "month"
    }

    /// `{"id","name","price"}`: the CLI prints the price (`Accept-Expansion: plan`) after creating.
    struct PlanReference: Encodable, Sendable {
        var id: String
        var name: String
        var price = Price()
    }

    /// `{"id","name","type"}`: the app pays.
    struct BillingEntity: Encodable, Sendable {
        var id: String
        var name: String
        var type = "app"
    }

    var actions: [IDReference] = []
    var addon_service: NamedReference
    var billing_entity: BillingEntity
    var app: AppReference
    var billed_price: Nullable<Price> = Nullable(Price())
    var config_vars: [String]
    var created_at: String
    var id: String
    var name: String
    var plan: PlanReference
    var provider_id: String
    var state: String
    var updated_at: String
    var web_url: Nullable<String> = nil

    init(_ addon: Addon, state: String = "provisioned") {
        let service = AddonCatalog.service(addon.service) ?? AddonCatalog.postgres
        let plan = service.plans.first { $0.name == addon.plan } ?? service.plans[0]
        addon_service = NamedReference(id: service.id.wire, name: service.name)
        billing_entity = BillingEntity(id: addon.appID.wire, name: addon.appName)
        app = AppReference(id: addon.appID.wire, name: addon.appName)
        config_vars = addon.configVars
        created_at = addon.createdAt.wire
        id = addon.id.wire
        name = addon.name
        self.plan = PlanReference(id: plan.id.wire, name: plan.fullName)
        provider_id = addon.id.wire
        self.state = state
        updated_at = addon.updatedAt.wire
    }
}

/// `GET /apps/{app}/addon-attachments`: an add-on attached to its app under a name.
struct AddonAttachmentResource: Encodable, Sendable {
    struct AddonReference: Encodable, Sendable {
        var id: String
        var name: String
        var app: AppReference
    }

    var addon: AddonReference
    var app: AppReference
    var created_at: String
    var id: String
    var name: String
    var namespace: Nullable<String> = nil
    var updated_at: String
    var web_url: Nullable<String> = nil
    var log_input_url: Nullable<String> = nil

    init(_ addon: Addon) {
        let app = AppReference(id: addon.appID.wire, name: addon.appName)
        self.addon = AddonReference(id: addon.id.wire, name: addon.name, app: app)
        self.app = app
        created_at = addon.createdAt.wire
        id = StableID.make("addon-attachment:\(addon.id.wire)")
        name = addon.attachmentName
        updated_at = addon.updatedAt.wire
    }
    /// An add-on shared with another app (`addons:attach`).
    init(_ attachment: AddonAttachment) {
        let owner = AppReference(id: attachment.ownerAppID.wire, name: attachment.ownerAppName)
        addon = AddonReference(id: attachment.addonID.wire, name: attachment.addonName, app: owner)
        app = AppReference(id: attachment.appID.wire, name: attachment.appName)
        created_at = attachment.createdAt.wire
        id = attachment.id.wire
        name = attachment.name
        updated_at = attachment.createdAt.wire
    }
}

/// `GET /addon-services`.
struct AddonServiceResource: Encodable, Sendable {
    var cli_plugin_name: Nullable<String> = nil
    var created_at = AddonServiceResource.published
    var human_name: String
    var id: String
    var name: String
    var state = "ga"
    var supports_multiple_installations = true
    var supports_sharing = false
    var updated_at = AddonServiceResource.published
    var supported_generations = [AppResource.generation]

    /// The date the catalog's entries carry.
    static let published = "2026-01-01T00:00:00Z"

    init(_ service: AddonService) {
        human_name = service.humanName
        id = service.id.wire
        name = service.name
    }
}

/// `GET /addon-services/{id}/plans`.
struct AddonPlanResource: Encodable, Sendable {
    var addon_service: NamedReference
    var created_at = AddonServiceResource.published
    var compliance: Nullable<[String]> = nil
    var `default`: Bool
    var description: String
    var human_name: String
    var id: String
    var installable_inside_private_network = false
    var installable_outside_private_network = true
    var name: String
    var price = AddonResource.Price()
    var space_default = false
    var state = "public"
    var updated_at = AddonServiceResource.published
    var visible = true

    init(_ plan: AddonPlan, of service: AddonService) {
        addon_service = NamedReference(id: service.id.wire, name: service.name)
        `default` = plan.id == service.plans.first?.id
        let human = plan.name.split(separator: "-").map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined(separator: " ")
        let memory = plan.maxMemoryBytes > 0 ? "\(plan.maxMemoryBytes >> 20) MB, " : ""
        description = "\(service.humanName) \(human) (\(memory)\(plan.connectionLimit) connections)"
        human_name = human
        id = plan.id.wire
        name = plan.fullName
    }
}

extension AppReference {
    /// The `{"name","id"}` of an add-on's app.
    init(id: String, name: String) {
        self.name = name
        self.id = id
    }
}
