import DataStore

extension SchemaReader {
    /// The `@default(value:)` of a field, converted to the field's type.
    func readDefault(_ use: DirectiveUse, type: FieldType, isRequired: Bool, of owner: String) -> FieldValue? {
        guard let text = use.arguments["value"]?.string else { return nil }
        let position = use.position(of: "value")
        func invalid(_ reason: String) -> FieldValue? {
            error(position, "@default(value: \"\(text)\") does not fit \(owner): \(reason)")
            return nil
        }
        let value: FieldValue
        switch type {
        case .int, .timestamp:
            guard let number = Int(text) else { return invalid("expected an integer") }
            value = .int(number)
        case .float:
            guard let number = Double(text), number.isFinite else { return invalid("expected a number") }
            value = .double(number)
        case .boolean:
            guard text == "true" || text == "false" else { return invalid("expected true or false") }
            value = .bool(text == "true")
        case .dateTime:
            do { value = .string(try Temporal.DateTime(iso8601String: text).iso8601String) } catch {
                return invalid(error.reason)
            }
        case .date:
            do { value = .string(try Temporal.Date(iso8601String: text).iso8601String) } catch {
                return invalid(error.reason)
            }
        case .time:
            do { value = .string(try Temporal.Time(iso8601String: text).iso8601String) } catch {
                return invalid(error.reason)
            }
        case .list, .embedded:
            return invalid("@default only applies to single values")
        default:
            value = .string(text)
        }
        if let problem = type.problem(with: value, isRequired: isRequired) { return invalid(problem) }
        return value
    }

    /// The rules of an `@auth(rules: [...])`.
    func readAuthRules(_ use: DirectiveUse, of owner: String) -> [AuthRule] {
        guard case .list(let items) = use.arguments["rules"] else { return [] }
        let position = use.position(of: "rules")
        var rules: [AuthRule] = []
        for item in items {
            guard case .object(let members) = item else {
                error(position, "each @auth rule must be an object such as {allow: owner} (on \(owner))")
                continue
            }
            var values: [String: SDLValue] = [:]
            for member in members { values[member.name] = member.value }
            let known: Set<String> = [
                "allow", "provider", "ownerField", "identityClaim", "identityField", "groupClaim", "groups",
                "groupsField", "operations", "queries", "mutations",
            ]
            for key in values.keys.sorted() where !known.contains(key) {
                error(
                    position,
                    "@auth rules have no key \(key) (on \(owner))",
                    hint: "rule keys are: \(known.sorted().joined(separator: ", "))"
                )
            }
            func word(_ key: String) -> String? {
                switch values[key] {
                case .string(let text), .enumValue(let text): text
                default: nil
                }
            }
            func words(_ key: String) -> [String]? {
                switch values[key] {
                case .list(let list):
                    list.compactMap { value -> String? in
                        switch value {
                        case .string(let text), .enumValue(let text): text
                        default: nil
                        }
                    }
                case .string(let text), .enumValue(let text): [text]
                default: nil
                }
            }
            guard let allow = word("allow") else {
                error(position, "an @auth rule needs allow: (owner, groups, private, public or custom) (on \(owner))")
                continue
            }
            guard ["owner", "groups", "private", "public", "custom"].contains(allow) else {
                error(
                    position,
                    "@auth allow: \(allow) is not one of owner, groups, private, public, custom (on \(owner))"
                )
                continue
            }
            let operations =
                words("operations")
                ?? {
                    let legacy = (words("queries") ?? []) + (words("mutations") ?? [])
                    return legacy.isEmpty ? nil : legacy
                }()
            rules.append(
                AuthRule(
                    allow: allow,
                    provider: word("provider"),
                    ownerField: word("ownerField"),
                    identityClaim: word("identityClaim") ?? word("identityField"),
                    groupClaim: word("groupClaim"),
                    groups: words("groups") ?? [],
                    groupsField: word("groupsField"),
                    operations: operations
                )
            )
        }
        return rules
    }
}
