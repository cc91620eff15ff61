import DataStore
import Foundation
import GraphQL

/// Reads a GraphQL schema written for the Amplify transformer (v1 and v2 directives) into the
/// models, enums and non-model types swift-datastore stores.
///
/// ```swift
/// let document = try SchemaParser.parse(sdl)
/// for model in document.models { print(model.schema.name, model.schema.fields.map(\.name)) }
/// ```
///
/// It does what the transformer does to models: adds `id` when a model declares no primary key,
/// `createdAt`/`updatedAt` unless disabled, the foreign keys of relations declared without
/// `fields`, and the join model of each `@manyToMany`.
public enum SchemaParser {
    /// Parses and checks `sdl`.
    ///
    /// - Throws: ``SchemaErrors`` listing every problem found, each at its line and column.
    public static func parse(_ sdl: String) throws(SchemaErrors) -> SchemaDocument {
        let document: Document
        do {
            document = try GraphQL.parse(source: sdl)
        } catch let error as GraphQLError {
            let location = error.locations.first ?? SourceLocation(line: 1, column: 1)
            throw SchemaErrors(errors: [
                SchemaError(
                    line: location.line,
                    column: location.column,
                    message: "GraphQL syntax error: \(syntaxMessage(error.message))",
                    hint: "check the schema's syntax near this position"
                )
            ])
        } catch {
            throw SchemaErrors(errors: [SchemaError(line: 1, column: 1, message: "GraphQL syntax error: \(error)")])
        }
        let reader = SchemaReader()
        let result = reader.read(document)
        let errors = reader.errors.sorted { ($0.line, $0.column) < ($1.line, $1.column) }
        guard errors.isEmpty, let result else { throw SchemaErrors(errors: errors) }
        return result
    }

    /// GraphQLSwift prefixes its messages with "Syntax Error GraphQL (line:col)" and a source
    /// excerpt; keep the part that says what is wrong.
    private static func syntaxMessage(_ message: String) -> String {
        let firstLine = message.split(separator: "\n").first.map(String.init) ?? message
        if let range = firstLine.firstRange(of: ") ") { return String(firstLine[range.upperBound...]) }
        return firstLine
    }
}

/// The state of one parse: collected definitions, drafts, errors and notes.
final class SchemaReader {
    var errors: [SchemaError] = []
    var notes: [SchemaNote] = []

    var objectOrder: [String] = []
    var objects: [String: ObjectTypeDefinition] = [:]
    /// `extend type` additions, by type name.
    var extensions: [String: [ObjectTypeDefinition]] = [:]
    var enumDefinitions: [EnumTypeDefinition] = []
    var otherTypeNames: Set<String> = []
    var declaredDirectives: Set<String> = []
    var rootTypeNames: Set<String> = ["Query", "Mutation", "Subscription"]
    var definitionPositions: [String: SourcePosition] = [:]

    var enums: [String: EnumType] = [:]
    var enumResults: [EnumDefinition] = []
    var nonModels: [String: EmbeddedType] = [:]
    var nonModelResults: [NonModelDefinition] = []
    var unstorableObjects: Set<String> = []
    var modelNames: Set<String> = []
    var drafts: [ModelDraft] = []
    var draftsByName: [String: ModelDraft] = [:]

    static let scalarTypes: [String: FieldType] = [
        "ID": .id, "String": .string, "Int": .int, "Float": .float, "Boolean": .boolean, "AWSDate": .date,
        "AWSTime": .time, "AWSDateTime": .dateTime, "AWSTimestamp": .timestamp, "AWSEmail": .email, "AWSJSON": .json,
        "AWSURL": .url, "AWSPhone": .phone, "AWSIPAddress": .ipAddress,
    ]

    func error(_ position: SourcePosition, _ message: String, hint: String? = nil) {
        errors.append(SchemaError(line: position.line, column: position.column, message: message, hint: hint))
    }

    func note(_ position: SourcePosition, _ message: String) {
        notes.append(SchemaNote(line: position.line, column: position.column, message: message))
    }

    func read(_ document: Document) -> SchemaDocument? {
        collect(document)
        readEnums()
        modelNames = Set(objectOrder.filter { name in typeDirectives(of: name).contains { $0.name.value == "model" } })
        readNonModels()
        for name in objectOrder where modelNames.contains(name) { readModel(objects[name]!) }
        resolveRelations()
        let models = finishModels()
        guard errors.isEmpty else { return nil }
        let serverOnly =
            objectOrder.filter { !modelNames.contains($0) && nonModels[$0] == nil } + otherTypeNames.sorted()
        return SchemaDocument(
            models: models,
            enums: enumResults,
            nonModels: nonModelResults,
            serverOnlyTypes: serverOnly,
            notes: notes.sorted { ($0.line, $0.column) < ($1.line, $1.column) }
        )
    }

    // MARK: Collecting definitions

    private func collect(_ document: Document) {
        for definition in document.definitions {
            switch definition {
            case let object as ObjectTypeDefinition:
                register(object.name.value, at: position(of: object.loc))
                objects[object.name.value] = object
                objectOrder.append(object.name.value)
            case let extensionDefinition as TypeExtensionDefinition:
                let addition = extensionDefinition.definition
                let name = addition.name.value
                guard objects[name] != nil else {
                    error(
                        position(of: extensionDefinition.loc),
                        "extend type \(name) extends a type that is not defined",
                        hint: "define type \(name) before extending it"
                    )
                    continue
                }
                extensions[name, default: []].append(addition)
            case let enumDefinition as EnumTypeDefinition:
                register(enumDefinition.name.value, at: position(of: enumDefinition.loc))
                enumDefinitions.append(enumDefinition)
            case let input as InputObjectTypeDefinition:
                register(input.name.value, at: position(of: input.loc))
                otherTypeNames.insert(input.name.value)
            case let interface as InterfaceTypeDefinition:
                register(interface.name.value, at: position(of: interface.loc))
                otherTypeNames.insert(interface.name.value)
            case let union as UnionTypeDefinition:
                register(union.name.value, at: position(of: union.loc))
                otherTypeNames.insert(union.name.value)
            case let scalar as ScalarTypeDefinition:
                if Self.scalarTypes[scalar.name.value] == nil {
                    register(scalar.name.value, at: position(of: scalar.loc))
                    otherTypeNames.insert(scalar.name.value)
                }
            case let directive as DirectiveDefinition:
                declaredDirectives.insert(directive.name.value)
            case let schema as SchemaDefinition:
                rootTypeNames.formUnion(schema.operationTypes.map { $0.type.name.value })
            default:
                break
            }
        }
    }

    /// The fields of an object type, with those added by `extend type`.
    func fields(of name: String) -> [GraphQL.FieldDefinition] {
        (objects[name]?.fields ?? []) + (extensions[name] ?? []).flatMap(\.fields)
    }

    /// The directives of an object type, with those added by `extend type`.
    func typeDirectives(of name: String) -> [Directive] {
        (objects[name]?.directives ?? []) + (extensions[name] ?? []).flatMap(\.directives)
    }

    private func register(_ name: String, at position: SourcePosition) {
        if let previous = definitionPositions[name] {
            error(
                position,
                "the type \(name) is defined twice",
                hint: "it was first defined at \(previous.line):\(previous.column); rename one of them"
            )
        } else if Self.scalarTypes[name] != nil {
            error(position, "\(name) is a built-in AppSync scalar and cannot be redefined")
        } else {
            definitionPositions[name] = position
        }
    }

    // MARK: Directives

    /// Checks a directive against the catalog; returns it when it should be processed.
    @discardableResult
    func check(_ directive: Directive, on site: DirectiveCatalog.Site, of owner: String) -> DirectiveUse? {
        let use = DirectiveUse(directive)
        guard let spec = DirectiveCatalog.specs[use.name] else {
            if declaredDirectives.contains(use.name) {
                note(use.position, "@\(use.name) on \(owner) is a custom directive; it does not affect models")
            } else {
                error(
                    use.position,
                    "unknown directive @\(use.name) on \(owner)",
                    hint: "known directives: \(DirectiveCatalog.knownNames)"
                )
            }
            return nil
        }
        guard spec.sites.contains(site) else {
            let place =
                switch site {
                case .type: "types"
                case .field: "fields"
                case .enumValue: "enum values"
                }
            error(use.position, "@\(use.name) cannot be used on \(place) (on \(owner))")
            return nil
        }
        if spec.isIgnored {
            note(use.position, "@\(use.name) on \(owner) configures AWS resources and is ignored by swift-datastore")
            return nil
        }
        var isValid = true
        for name in use.argumentOrder {
            guard let kind = spec.arguments[name] else {
                let known = spec.arguments.keys.sorted().joined(separator: ", ")
                error(
                    use.position(of: name),
                    "@\(use.name) has no argument named \(name) (on \(owner))",
                    hint: known.isEmpty ? "@\(use.name) takes no arguments" : "its arguments are: \(known)"
                )
                isValid = false
                continue
            }
            let value = use.arguments[name]!
            if value != .null, !kind.accepts(value) {
                error(
                    use.position(of: name),
                    "@\(use.name)(\(name):) must be \(kind.expectation), not \(value.summary) (on \(owner))"
                )
                isValid = false
            }
        }
        for name in spec.required.sorted() where use.arguments[name] == nil || use.arguments[name] == .null {
            error(use.position, "@\(use.name) needs the argument \(name) (on \(owner))")
            isValid = false
        }
        return isValid ? use : nil
    }

    /// The processed directives of a node, in order.
    func directives(_ directives: [Directive], on site: DirectiveCatalog.Site, of owner: String) -> [DirectiveUse] {
        directives.compactMap { check($0, on: site, of: owner) }
    }

    // MARK: Enums

    private func readEnums() {
        for definition in enumDefinitions {
            let name = definition.name.value
            let namePosition = position(of: definition.loc)
            checkTypeName(
                name,
                at: position(of: definition.name.loc) == SourcePosition(line: 1, column: 1)
                    ? namePosition : position(of: definition.name.loc)
            )
            var values: [String] = []
            var descriptions: [String: String] = [:]
            for value in definition.values {
                let raw = value.name.value
                _ = directives(value.directives, on: .enumValue, of: "\(name).\(raw)")
                if values.contains(raw) {
                    error(position(of: value.loc), "the enum \(name) lists \(raw) twice")
                    continue
                }
                values.append(raw)
                if let description = value.description?.value { descriptions[raw] = description }
            }
            let type = EnumType(name: name, values: values)
            enums[name] = type
            enumResults.append(
                EnumDefinition(
                    enumType: type,
                    description: definition.description?.value,
                    valueDescriptions: descriptions,
                    position: namePosition
                )
            )
        }
    }

    func checkTypeName(_ name: String, at position: SourcePosition) {
        if name.hasPrefix("__") { error(position, "\(name) starts with '__', which GraphQL reserves") }
    }

    func checkFieldName(_ name: String, of owner: String, at position: SourcePosition) {
        if ModelSchema.reservedFieldNames.contains(name) {
            error(
                position,
                "the field \(owner).\(name) uses a name the sync protocol reserves",
                hint: "_version, _deleted and _lastChangedAt are added by sync; rename the field"
            )
        }
        if name.hasPrefix("__") {
            error(position, "the field \(owner).\(name) starts with '__', which GraphQL reserves")
        }
    }

    // MARK: Non-model types

    /// Non-model object types whose fields can all be stored become embedded types; others are
    /// kept for the server only.
    ///
    /// Storable means: every field is a scalar, an enum, or a storable object. Types may contain
    /// themselves or each other, so the storable set is the largest one that satisfies this (start
    /// from every candidate, drop the types with a field that is not storable, until nothing
    /// changes). Each type is made lazily (its fields read from `table` once all are known), so a
    /// field can refer to a type whose own fields are not made yet, or to its own type.
    private func readNonModels() {
        let candidates = objectOrder.filter { name in
            !modelNames.contains(name) && !rootTypeNames.contains(name) && objects[name] != nil
        }
        var storable = Set(candidates.filter { !fields(of: $0).isEmpty })
        var changed = true
        while changed {
            changed = false
            for name in storable
            where fields(of: name).contains(where: { !isStorable(TypeReference($0.type).baseName, storable) }) {
                storable.remove(name)
                changed = true
            }
        }
        unstorableObjects = Set(candidates).subtracting(storable)
        let table = Locked<[String: [ModelField]]>([:])
        for name in storable {
            nonModels[name] = EmbeddedType(name: name) { table.withLock { $0[name] ?? [] } }
        }
        var defined: Set<String> = []
        for name in candidates where storable.contains(name) {
            defineNonModel(name, storable: storable, defined: &defined, table: table)
        }
    }

    private func isStorable(_ typeName: String, _ storableObjects: Set<String>) -> Bool {
        Self.scalarTypes[typeName] != nil || enums[typeName] != nil || storableObjects.contains(typeName)
    }

    /// Reads the fields of the storable object `name` into `table` and its definition into the
    /// results, after the types it contains (so the results list a type after those it uses,
    /// except around a cycle).
    private func defineNonModel(
        _ name: String,
        storable: Set<String>,
        defined: inout Set<String>,
        table: Locked<[String: [ModelField]]>
    ) {
        guard defined.insert(name).inserted, let object = objects[name] else { return }
        let objectFields = fields(of: name)
        for field in objectFields {
            let contained = TypeReference(field.type).baseName
            if storable.contains(contained) {
                defineNonModel(contained, storable: storable, defined: &defined, table: table)
            }
        }
        var fields: [ModelField] = []
        var definitions: [SchemaField] = []
        for field in objectFields {
            let reference = TypeReference(field.type)
            // Every field's type is storable: that is what made the object storable.
            guard let type = storedType(reference) else { continue }
            fields.append(ModelField(name: field.name.value, type: type, isRequired: reference.isRequired))
            definitions.append(
                SchemaField(
                    name: field.name.value,
                    description: field.description?.value,
                    origin: .declared,
                    defaultValue: nil,
                    storedName: nil,
                    authRules: [],
                    position: position(of: field.loc)
                )
            )
        }
        table.withLock { $0[name] = fields }
        let typePosition = position(of: object.loc)
        checkTypeName(name, at: typePosition)
        for (field, definition) in zip(objectFields, definitions) {
            checkFieldName(definition.name, of: name, at: definition.position)
            _ = directives(field.directives, on: .field, of: "\(name).\(definition.name)")
        }
        _ = directives(typeDirectives(of: name), on: .type, of: name)
        if let embedded = nonModels[name] {
            nonModelResults.append(
                NonModelDefinition(
                    embeddedType: embedded,
                    description: object.description?.value,
                    fields: definitions,
                    position: typePosition
                )
            )
        }
    }

    /// The stored type of a field of type `reference`, or nil when it is not storable (a model,
    /// an interface, a union, an input, an unknown type, an object with such a field).
    func storedType(_ reference: TypeReference) -> FieldType? {
        switch reference {
        case .named(let name, _):
            if let scalar = Self.scalarTypes[name] { return scalar }
            if let enumType = enums[name] { return .enumeration(enumType) }
            if let embedded = nonModels[name] { return .embedded(embedded) }
            return nil
        case .list(let element, _):
            guard let elementType = storedType(element) else { return nil }
            return .list(of: elementType, elementsRequired: element.isRequired)
        }
    }

    /// What a type name refers to, for messages.
    func kindOfType(_ name: String) -> String? {
        if Self.scalarTypes[name] != nil { return "scalar" }
        if enums[name] != nil { return "enum" }
        if modelNames.contains(name) { return "model" }
        if objects[name] != nil { return "object" }
        if otherTypeNames.contains(name) { return "type" }
        return nil
    }
}

extension SchemaParser {
    /// Reads and parses the schema file at `path`, as the command-line tools do.
    ///
    /// - Throws: ``SchemaFileError``: the file could not be read, or the schema's problems, one per
    ///   line as `path:line:column: error: …`.
    public static func parse(contentsOfFile path: String) throws(SchemaFileError) -> SchemaDocument {
        let source: String
        do {
            source = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw SchemaFileError(description: "cannot read the schema at \(path): \(error.localizedDescription)")
        }
        do {
            return try parse(source)
        } catch {
            throw SchemaFileError(description: error.errors.map { $0.formatted(file: path) }.joined(separator: "\n"))
        }
    }
}

/// A schema file that could not be read or parsed; the description says where and why.
public struct SchemaFileError: Error, Sendable, CustomStringConvertible {
    /// What went wrong reading the file.
    public let description: String
}
