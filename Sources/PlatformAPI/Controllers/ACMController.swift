import Foundation
import HTTPTypes
import Hummingbird
import OpenrukoCore
import Operations

/// Heroku's Automatic Certificate Management: `POST /apps/{app}/acm` turns it on, `DELETE`
/// off, `PATCH` asks for a new attempt now; each answers the app (its `acm` says which).
/// A domain's standing is `certs:auto APP`.
struct ACMController {
    let environment: APIEnvironment
    var platform: Platform { environment.platform }

    func register(on router: Router<APIContext>) {
        router.post("/apps/:app/acm") { request, context in
            let app = try platform.enableAutomaticCertificates(try context.parameter("app"), as: try context.principal())
            return try JSONResponse.make(resource(app), for: request)
        }
        router.patch("/apps/:app/acm") { request, context in
            let app = try platform.enableAutomaticCertificates(try context.parameter("app"), as: try context.principal())
            return try JSONResponse.make(resource(app), for: request)
        }
        router.delete("/apps/:app/acm") { request, context in
            let app = try platform.disableAutomaticCertificates(try context.parameter("app"), as: try context.principal())
            return try JSONResponse.make(resource(app), for: request)
        }
    }

    private func resource(_ app: App) throws(OpenrukoError) -> AppResource {
        var resource = AppResource(try platform.details(of: app, measureRepository: false), urls: platform.urls)
        resource.acm = platform.automaticCertificatesEnabled(app)
        return resource
    }
}
