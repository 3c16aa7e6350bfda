import Foundation

/// The images a Dockerfile builds on, which must be in the app's store before `buildah bud`
/// (openruko pulls from no registry): every `FROM` image and every `--from=` image of `COPY`
/// and `RUN --mount`, after `ARG` substitution, except earlier stages and `scratch`. Pure: it
/// reads the Dockerfile's text, not the disk.
struct BaseImageReferences: Sendable, Hashable {
    /// Image references as written (substituted), in order of appearance, without repeats.
    let references: [String]

    /// - Parameters:
    ///   - dockerfile: the Dockerfile's text.
    ///   - buildArguments: `build.config` of `heroku.yml` (`--build-arg`s), which override
    ///     the defaults of `ARG`s before the first `FROM`.
    init(dockerfile: String, buildArguments: [String: String] = [:]) {
        var arguments: [String: String] = [:]
        var stages: Set<String> = []
        var found: [String] = []
        var seenFrom = false
        func add(_ reference: String) {
            let name = reference.trimmingCharacters(in: .whitespaces)
            guard !name.isEmpty, name.lowercased() != "scratch", !stages.contains(name.lowercased()), Int(name) == nil,
                !found.contains(name)
            else { return }
            found.append(name)
        }
        for line in Self.instructions(dockerfile) {
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            guard let keyword = words.first?.uppercased() else { continue }
            switch keyword {
            case "ARG" where !seenFrom:
                for word in words.dropFirst() {
                    let parts = word.split(separator: "=", maxSplits: 1).map(String.init)
                    arguments[parts[0]] = buildArguments[parts[0]] ?? (parts.count == 2 ? Self.unquote(parts[1]) : nil)
                }
            case "FROM":
                seenFrom = true
                let rest = words.dropFirst().filter { !$0.hasPrefix("--") }
                guard let image = rest.first else { continue }
                add(Self.substitute(image, arguments))
                if rest.count >= 3, rest[1].uppercased() == "AS" { stages.insert(rest[2].lowercased()) }
            case "COPY", "RUN":
                for word in words.dropFirst() where word.hasPrefix("--") {
                    if word.lowercased().hasPrefix("--from=") {
                        add(String(word.dropFirst("--from=".count)))
                    } else if word.lowercased().hasPrefix("--mount=") {
                        for option in word.dropFirst("--mount=".count).split(separator: ",") where option.lowercased().hasPrefix("from=") {
                            add(String(option.dropFirst("from=".count)))
                        }
                    }
                }
            default: continue
            }
        }
        references = found
    }

    /// The Dockerfile's instructions, one string each: comments and blank lines dropped, lines
    /// ending in `\` joined with the next.
    static func instructions(_ text: String) -> [String] {
        var result: [String] = []
        var current = ""
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            var line = raw.trimmingCharacters(in: .whitespaces)
            if line.hasSuffix("\r") { line.removeLast() }
            if line.hasPrefix("#") { continue }
            if line.hasSuffix("\\") {
                current += line.dropLast() + " "
                continue
            }
            current += line
            if !current.trimmingCharacters(in: .whitespaces).isEmpty { result.append(current.trimmingCharacters(in: .whitespaces)) }
            current = ""
        }
        if !current.trimmingCharacters(in: .whitespaces).isEmpty { result.append(current.trimmingCharacters(in: .whitespaces)) }
        return result
    }

    /// `$NAME`, `${NAME}`, `${NAME:-word}` and `${NAME:+word}` replaced from `arguments`.
    static func substitute(_ text: String, _ arguments: [String: String]) -> String {
        var result = ""
        var rest = Substring(text)
        while let dollar = rest.firstIndex(of: "$") {
            result += rest[..<dollar]
            rest = rest[rest.index(after: dollar)...]
            if rest.first == "{", let close = rest.firstIndex(of: "}") {
                let body = rest[rest.index(after: rest.startIndex)..<close]
                rest = rest[rest.index(after: close)...]
                if let range = body.range(of: ":-") {
                    let value = arguments[String(body[..<range.lowerBound])] ?? ""
                    result += value.isEmpty ? String(body[range.upperBound...]) : value
                } else if let range = body.range(of: ":+") {
                    let value = arguments[String(body[..<range.lowerBound])] ?? ""
                    result += value.isEmpty ? "" : String(body[range.upperBound...])
                } else {
                    result += arguments[String(body)] ?? ""
                }
            } else {
                let name = rest.prefix { $0.isLetter || $0.isNumber || $0 == "_" }
                rest = rest[name.endIndex...]
                result += name.isEmpty ? "$" : arguments[String(name)] ?? ""
            }
        }
        return result + rest
    }

    static func unquote(_ value: String) -> String {
        guard value.count >= 2, let first = value.first, first == "\"" || first == "'", value.last == first else { return value }
        return String(value.dropFirst().dropLast())
    }

    /// The names a store may list `reference` under, most specific first: as written with
    /// `:latest` when it has no tag, and for a short name (no registry) also under
    /// `localhost/` and `docker.io/` (`docker.io/library/` for one component), as buildah
    /// resolves short names.
    static func storeNames(_ reference: String) -> [String] {
        let lastComponent = reference.split(separator: "/").last.map(String.init) ?? reference
        let tagged = reference.contains("@") || lastComponent.contains(":") ? reference : reference + ":latest"
        let first = String(reference.split(separator: "/").first ?? "")
        let qualified = reference.contains("/") && (first.contains(".") || first.contains(":") || first == "localhost")
        if qualified { return [tagged] }
        let hub = "docker.io/" + (reference.contains("/") ? tagged : "library/" + tagged)
        return [tagged, "localhost/" + tagged, hub]
    }
}
