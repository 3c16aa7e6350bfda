import Foundation
import HTTPTypes
import Hummingbird
import OpenrukoCore
import Operations

/// Domains: the app's own `APP.DOMAIN` (kind `heroku`) plus custom hostnames: `GET/POST
/// /apps/{app}/domains`, `GET/PATCH/DELETE /apps/{app}/domains/{hostname or id}`.
struct DomainController {
    let environment: APIEnvironment

    struct CreateBody: Decodable {
        var hostname: String
        var sni_endpoint: String?
    }

    struct UpdateBody: Decodable {
        var sni_endpoint: String?
    }

    static let pager = Pager<DomainResource>([("id", { .text($0.id) }), ("hostname", { .text($0.hostname) })])

    func register(on router: Router<APIContext>) {
        router.get("/apps/:app/domains") { request, context in
            let all = try resources(context)
            let page = try Self.pager.page(all, range: try ListRange(parsing: request.headers[.range]))
            return try JSONResponse.make(page.items, status: page.status, headers: page.headers, for: request)
        }
        router.get("/apps/:app/domains/:domain") { request, context in
            try JSONResponse.make(try find(context), for: request)
        }
        router.post("/apps/:app/domains") { request, context in
            let principal = try context.principal()
            let name = try context.parameter("app")
            let app = try environment.platform.app(name, as: principal)
            let body = try await request.json(CreateBody.self, context: context)
            try checkSNI(body.sni_endpoint, app: app, principal)
            let domain = try environment.platform.addDomain(name, hostname: body.hostname, as: principal)
            let resource = try resources(app, principal).first { $0.id == domain.id.wire } ?? DomainResource(domain, app: app, appHost: host(app))
            return try JSONResponse.make(resource, status: .created, for: request)
        }
        router.patch("/apps/:app/domains/:domain") { request, context in
            let found = try find(context)
            let body = try await request.json(UpdateBody.self, context: context)
            let principal = try context.principal()
            try checkSNI(body.sni_endpoint, app: try environment.platform.app(found.app.id, as: principal), principal)
            return try JSONResponse.make(found, for: request)
        }
        router.delete("/apps/:app/domains/:domain") { request, context in
            let found = try find(context)
            guard found.kind == "custom" else {
                throw OpenrukoError(.invalid, "\(found.hostname) is the app's own address and cannot be removed.", resource: "domain")
            }
            try environment.platform.removeDomain(found.app.id, hostname: found.hostname, as: try context.principal())
            return try JSONResponse.make(found, for: request)
        }
    }

    private func host(_ app: App) -> String { "\(app.name).\(environment.platform.urls.domain)" }

    private func resources(_ context: APIContext) throws(OpenrukoError) -> [DomainResource] {
        let principal = try context.principal()
        return try resources(try environment.platform.app(try context.parameter("app"), as: principal), principal)
    }

    /// The app's domains, each custom one with the certificate it is served with (if any).
    private func resources(_ app: App, _ principal: Principal) throws(OpenrukoError) -> [DomainResource] {
        let (_, domains) = try environment.platform.domains(app.id.wire, as: principal)
        let (_, certificates) = try environment.platform.certificates(app.id.wire, as: principal)
        var endpoints: [UUID: NamedReference] = [:]
        for (id, served) in try environment.platform.servedDomains(of: app, certificates) {
            guard let certificate = certificates.first(where: { $0.id == id }) else { continue }
            for domain in served { endpoints[domain.id] = NamedReference(id: certificate.id.wire, name: certificate.name) }
        }
        // With automatic certificates on, each custom domain's ACM status (Heroku's `acm_status`).
        let (_, acm, automatic) = try environment.platform.automaticCertificates(app.id.wire, as: principal)
        let statuses = Dictionary(automatic.map { ($0.hostname, $0) }, uniquingKeysWith: { a, _ in a })
        return [DomainResource(defaultFor: app, appHost: host(app))]
            + domains.map { domain in
                var resource = DomainResource(domain, app: app, appHost: host(app))
                resource.sni_endpoint = Nullable(endpoints[domain.id])
                if acm, let status = statuses[domain.hostname] {
                    resource.acm_status = Nullable(status.status.rawValue)
                    resource.acm_status_reason = Nullable(status.reason)
                }
                return resource
            }
    }

    private func find(_ context: APIContext) throws(OpenrukoError) -> DomainResource {
        let wanted = try context.parameter("domain").lowercased()
        guard let domain = try resources(context).first(where: { $0.hostname == wanted || $0.id == wanted }) else {
            throw OpenrukoError(.notFound, "Couldn't find that domain.", resource: "domain")
        }
        return domain
    }

    /// The router picks each domain's certificate from the app's own by name (SNI), so an
    /// `sni_endpoint` given (as the heroku CLI does when the app has one) must only be one of them.
    private func checkSNI(_ endpoint: String?, app: App, _ principal: Principal) throws(OpenrukoError) {
        guard let endpoint else { return }
        let (_, certificates) = try environment.platform.certificates(app.id.wire, as: principal)
        guard certificates.contains(where: { $0.name == endpoint || $0.id.wire == endpoint.lowercased() }) else {
            throw OpenrukoError(.invalid, "\(app.name) has no SNI endpoint \(endpoint).", resource: "domain")
        }
    }
}

/// `GET/PUT /apps/{app}/buildpack-installations` (`{updates:[{buildpack: URL}]}`, the whole list).
struct BuildpackInstallationController {
    let environment: APIEnvironment

    struct Update: Decodable {
        var buildpack: String
    }

    struct UpdateBody: Decodable {
        var updates: [Update]
    }

    func register(on router: Router<APIContext>) {
        router.get("/apps/:app/buildpack-installations") { request, context in
            let (_, urls) = try environment.platform.buildpacks(try context.parameter("app"), as: try context.principal())
            return try JSONResponse.make(Self.resources(urls), for: request)
        }
        router.put("/apps/:app/buildpack-installations") { request, context in
            let principal = try context.principal()
            let name = try context.parameter("app")
            _ = try environment.platform.app(name, as: principal)
            let body = try await request.json(UpdateBody.self, context: context)
            let urls = try environment.platform.setBuildpacks(name, body.updates.map(\.buildpack), as: principal)
            return try JSONResponse.make(Self.resources(urls), for: request)
        }
    }

    static func resources(_ urls: [String]) -> [BuildpackInstallationResource] {
        urls.enumerated().map { BuildpackInstallationResource(ordinal: $0, url: $1) }
    }
}
