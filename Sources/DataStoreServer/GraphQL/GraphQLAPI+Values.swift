import DataStore
import DataStoreAppSync
import GraphQL
import OrderedCollections

extension GraphQLAPI {
    // MARK: Values

    static func object(_ map: Map) -> [String: FieldValue] {
        if case .object(let members) = fieldValue(map) { return members }
        return [:]
    }

    static func int(_ value: FieldValue?, _ name: String) throws(AppSyncError) -> Int? {
        switch value {
        case nil, .null?: return nil
        case .int(let number)?: return number
        default: throw .badRequest("\(name) must be an integer.")
        }
    }

    static func string(_ value: FieldValue?) -> String? {
        if case .string(let text)? = value { return text }
        return nil
    }

    /// A GraphQL value as a ``FieldValue``; `undefined` members are left out.
    static func fieldValue(_ map: Map) -> FieldValue {
        switch map {
        case .undefined, .null: .null
        case .bool(let value): .bool(value)
        case .number(let number):
            number.storageType == .double ? .double(number.doubleValue) : .int(number.intValue)
        case .string(let value): .string(value)
        case .array(let values): .list(values.map(fieldValue))
        case .dictionary(let members):
            .object(
                Dictionary(
                    members.filter { if case .undefined = $0.value { false } else { true } }
                        .map { ($0.key, fieldValue($0.value)) },
                    uniquingKeysWith: { $1 }
                )
            )
        }
    }

    /// A resolver's source value as a ``FieldValue`` (for relation keys).
    static func keyValue(_ value: any Sendable) -> FieldValue? {
        switch value {
        case let text as String: .string(text)
        case let number as Int: .int(number)
        case let number as Double: .double(number)
        case let flag as Bool: .bool(flag)
        default: nil
        }
    }

    static func map(_ value: FieldValue) -> Map {
        switch value {
        case .null: .null
        case .bool(let flag): .bool(flag)
        case .int(let number): .number(Number(number))
        case .double(let number): .number(Number(number))
        case .string(let text): .string(text)
        case .list(let values): .array(values.map(map))
        case .object(let members):
            .dictionary(
                OrderedDictionary(
                    uniqueKeysWithValues: members.sorted { $0.key < $1.key }.map { ($0.key, map($0.value)) }
                )
            )
        }
    }

    /// An item or value as the executor's default resolvers read it: dictionaries, arrays and
    /// Swift scalars; null members are left out.
    static func output(_ value: FieldValue) -> any Sendable {
        switch value {
        case .null: return Optional<String>.none as any Sendable
        case .bool(let flag): return flag
        case .int(let number): return number
        case .double(let number): return number
        case .string(let text): return text
        case .list(let values): return values.map(output)
        case .object(let members):
            var object: [String: any Sendable] = [:]
            for (name, member) in members where member != .null { object[name] = output(member) }
            return object
        }
    }

    /// What a read resolver returns while a ``ResponsePlan``'s skeleton runs: the skeleton selects
    /// only `__typename`, which the executor answers from the type.
    static let placeholder: [String: any Sendable] = [:]

    /// A page for the executor, or, while a ``ResponsePlan``'s skeleton runs, kept in `capture` as a
    /// connection value (`items`, `nextToken`, `startedAt`).
    static func output(_ page: DataSource.Page, capture: ResponseCapture?) -> any Sendable {
        guard let capture else { return output(page) }
        var connection: [String: FieldValue] = ["items": .list(page.items)]
        if let nextToken = page.nextToken { connection["nextToken"] = .string(nextToken) }
        if let startedAt = page.startedAt { connection["startedAt"] = .int(Int(startedAt)) }
        capture.keep(.object(connection))
        return placeholder
    }

    static func output(_ page: DataSource.Page) -> any Sendable {
        var connection: [String: any Sendable] = ["items": page.items.map(output)]
        if let nextToken = page.nextToken { connection["nextToken"] = nextToken }
        if let startedAt = page.startedAt { connection["startedAt"] = Int(startedAt) }
        return connection
    }

    // MARK: Responses

    static func failure(_ error: AppSyncError) -> FieldValue {
        .object(["data": .null, "errors": .list([responseObject(error)])])
    }

    /// An error object as HTTP responses carry it: one with an error type always has `data` and
    /// `errorInfo`, null when empty, as AppSync's have.
    static func responseObject(_ error: AppSyncError) -> FieldValue {
        guard error.errorType != nil, case .object(var object) = error.jsonValue else { return error.jsonValue }
        if object["data"] == nil { object["data"] = .null }
        if object["errorInfo"] == nil { object["errorInfo"] = .null }
        return .object(object)
    }

    static func response(data: Map?, errors: [GraphQLError]) -> FieldValue {
        var response: [String: FieldValue] = ["data": data.map(fieldValue) ?? .null]
        if !errors.isEmpty { response["errors"] = .list(appSyncErrors(errors).map(responseObject)) }
        return .object(response)
    }

    /// GraphQL errors as AppSync's error objects (an `AppSyncError` behind one gives its
    /// `errorType` and `data`).
    static func appSyncErrors(_ errors: [GraphQLError]) -> [AppSyncError] {
        errors.map { error in
            let locations = error.locations.map { AppSyncError.Location(line: $0.line, column: $0.column) }
            let path: [FieldValue]? =
                error.path.elements.isEmpty
                ? nil
                : error.path.elements.map { element in
                    switch element {
                    case .index(let index): .int(index)
                    case .key(let key): .string(key)
                    }
                }
            guard var original = error.originalError as? AppSyncError else {
                return AppSyncError(nil, error.message, path: path, locations: locations)
            }
            original.path = path
            original.locations = locations
            return original
        }
    }
}
