/// Heroku-style random app names (`crimson-river-4821`) for `apps:create` without a name.
enum AppNameGenerator {
    private static let adjectives = [
        "amber", "brave", "calm", "crimson", "dapper", "eager", "fancy", "gentle", "golden", "happy", "icy", "jolly",
        "keen", "lively", "mellow", "nimble", "olive", "proud", "quiet", "rapid", "shiny", "sunny", "tidy", "vast",
        "warm", "young", "zesty",
    ]
    private static let nouns = [
        "anchor", "brook", "canyon", "dawn", "ember", "falls", "grove", "harbor", "island", "journey", "knoll", "lake",
        "meadow", "night", "ocean", "peak", "quartz", "river", "shore", "thicket", "valley", "wave", "yonder",
    ]

    /// A random candidate; valid per `AppName`.
    static func random() -> String {
        "\(adjectives.randomElement()!)-\(nouns.randomElement()!)-\(Int.random(in: 1000...9999))"
    }
}
