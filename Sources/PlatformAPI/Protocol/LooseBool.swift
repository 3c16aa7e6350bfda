/// A JSON boolean as Heroku's clients send it: `true`/`false`, or `1`/`0` (heroku3 turns
/// maintenance mode off with `"maintenance": 0`). Anything else is a type mismatch, which
/// the API reports as "must be a boolean".
struct LooseBool: Decodable, Sendable {
    var value: Bool

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let flag = try? container.decode(Bool.self) {
            value = flag
        } else if let number = try? container.decode(Int.self), number == 0 || number == 1 {
            value = number == 1
        } else {
            throw DecodingError.typeMismatch(
                Bool.self, DecodingError.Context(codingPath: decoder.codingPath, debugDescription: "Expected a boolean"))
        }
    }
}
