import OpenrukoCore

/// What every client connection shares: settings, the route table, the log seam, the
/// in-flight counts and the round-robin counters.
final class ProxyEnvironment: Sendable {
    let configuration: RouterConfiguration
    let routes: any RouteTable
    let logs: any LogSink
    let inFlight: InFlightRequests
    let roundRobin = RoundRobin()
    /// The ACME HTTP-01 challenges to answer (the plain listener only).
    let challenges: ACMEChallenges?

    init(
        configuration: RouterConfiguration, routes: any RouteTable, logs: any LogSink, inFlight: InFlightRequests,
        challenges: ACMEChallenges? = nil
    ) {
        self.challenges = challenges
        self.configuration = configuration
        self.routes = routes
        self.logs = logs
        self.inFlight = inFlight
    }
}
