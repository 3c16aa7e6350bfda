import Hummingbird

/// Turns every error a route (or the router's not-found answer) throws into Heroku's
/// `{"id","message"}` JSON, so clients always get a message to show.
struct ErrorMiddleware: RouterMiddleware {
    typealias Context = APIContext

    func handle(_ request: Request, context: APIContext, next: (Request, APIContext) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            return APIError(any: error).response()
        }
    }
}
