import Testing

/// Every runtime end-to-end suite, one after the other: each starts real daemons and dynos,
/// and running them side by side would only load the two cores other suites share.
@Suite(.serialized, .timeLimit(.minutes(15))) enum RuntimeEndToEnd {}
