import OpenrukoCore

/// What every client connection shares: settings, the route table, the log seam, the
/// in-flight counts and the round-robin counters.
final class ProxyEnvironment: Sendable {
    let configuration: RouterConfiguration
    let routes: any RouteTable
    let logs: any LogSink
    let inFlight: InFlightRequests
    let roundRobin = RoundRobin()

    init(configuration: RouterConfiguration, routes: any RouteTable, logs: any LogSink, inFlight: InFlightRequests) {
        self.configuration = configuration
        self.routes = routes
        self.logs = logs
        self.inFlight = inFlight
    }
}
