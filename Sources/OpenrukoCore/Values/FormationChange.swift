/// One requested change of a process type's dyno count and size, as `heroku ps:scale`
/// writes it: `web=2`, `worker+1`, `web-1`, `web=1:standard-2X`, `web:standard-2X`.
package struct FormationChange: Hashable, Sendable {
    /// An absolute count or a relative one.
    package enum Quantity: Hashable, Sendable {
        case absolute(Int)
        case relative(Int)

        /// Parses `2`, `+1`, `-1` (the API sends quantities as strings too).
        package init?(parsing text: String) {
            let text = text.trimmingWhitespace()
            if text.hasPrefix("+") || text.hasPrefix("-") {
                guard let delta = Int(text.dropFirst()), delta >= 0 else { return nil }
                self = .relative(text.hasPrefix("-") ? -delta : delta)
            } else {
                guard let value = Int(text), value >= 0 else { return nil }
                self = .absolute(value)
            }
        }

        /// The resulting count from `current`, never below zero.
        package func applied(to current: Int) -> Int {
            switch self {
            case .absolute(let value): value
            case .relative(let delta): max(0, current + delta)
            }
        }
    }

    package var type: String
    package var quantity: Quantity?
    package var size: String?

    package init(type: String, quantity: Quantity?, size: String?) {
        self.type = type
        self.quantity = quantity
        self.size = size
    }

    /// Parses one `ps:scale` argument.
    /// - Throws: `OpenrukoError.invalid` showing the accepted forms.
    package init(parsing argument: String) throws(OpenrukoError) {
        let usage = OpenrukoError(
            .invalid, "Invalid scaling argument \(argument.debugDescription). Use TYPE=N, TYPE+N, TYPE-N or TYPE=N:SIZE.",
            resource: "formation")
        var spec = Substring(argument)
        var size: String?
        if let colon = spec.lastIndex(of: ":") {
            size = String(spec[spec.index(after: colon)...])
            spec = spec[..<colon]
            if size?.isEmpty ?? true { throw usage }
        }
        // The operator is the last '=', '+' or '-' followed only by digits ("my-worker-1" is
        // type "my-worker" minus one), as the heroku CLI's greedy pattern reads it.
        let opIndex = spec.indices.last { index in
            "=+-".contains(spec[index]) && spec.index(after: index) < spec.endIndex
                && spec[spec.index(after: index)...].allSatisfy(\.isASCIIDigit)
        }
        guard let opIndex else {
            guard size != nil, ProcessType.isValid(String(spec)) else { throw usage }
            self.init(type: String(spec), quantity: nil, size: size)
            return
        }
        let type = String(spec[..<opIndex])
        var amount = String(spec[spec.index(after: opIndex)...])
        if spec[opIndex] != "=" { amount = String(spec[opIndex]) + amount }
        guard ProcessType.isValid(type), let quantity = Quantity(parsing: amount) else { throw usage }
        self.init(type: type, quantity: quantity, size: size)
    }
}

extension Character {
    /// `0`…`9` only.
    var isASCIIDigit: Bool { isASCII && isNumber }
}
