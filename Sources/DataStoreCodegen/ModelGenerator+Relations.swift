import DataStore
import DataStoreSchema

/// The generated relation API: static relation paths, lazy relation properties, an initializer
/// that takes related models instead of their keys, and typed identifiers.
extension ModelGenerator {
    /// A to-one relation whose key this model stores, as an initializer parameter.
    struct RelationParameter {
        let relation: ModelRelation
        /// The model's key fields and the related model's fields they take their values from.
        let keys: [(local: ModelField, target: ModelField)]
        /// Whether the parameter is optional: the relation is, and every key field can be null.
        var isOptional: Bool { !relation.isRequired && keys.allSatisfy { !$0.local.isRequired } }
    }

    /// The relations an initializer can take as models: to-one relations keyed on this model by
    /// settable fields whose types match the related model's fields. Nil when there are none.
    func relationParameters(
        _ model: ModelDefinition,
        in document: SchemaDocument,
        _ names: SwiftNames
    ) -> [RelationParameter]? {
        let schema = model.schema
        var claimed: Set<String> = []
        var parameters: [RelationParameter] = []
        for relation in schema.relations where relation.kind != .hasMany && !relation.localFields.isEmpty {
            guard let target = document.model(named: relation.relatedModel)?.schema else { continue }
            let targetNames =
                relation.relatedFields.isEmpty
                ? Array(target.primaryKey.prefix(relation.localFields.count)) : relation.relatedFields
            guard targetNames.count == relation.localFields.count else { continue }
            var keys: [(local: ModelField, target: ModelField)] = []
            for (localName, targetName) in zip(relation.localFields, targetNames) {
                guard let local = schema.field(named: localName), !local.isReadOnly, !claimed.contains(localName),
                    let targetField = target.field(named: targetName),
                    SwiftSyntax.type(local.type, isRequired: true, names)
                        == SwiftSyntax.type(targetField.type, isRequired: true, names),
                    targetField.isRequired || !local.isRequired
                else { break }
                keys.append((local, targetField))
            }
            guard keys.count == relation.localFields.count else { continue }
            claimed.formUnion(relation.localFields)
            parameters.append(RelationParameter(relation: relation, keys: keys))
        }
        return parameters.isEmpty ? nil : parameters
    }

    /// `init(…, post: Post, …)`: the key fields of each relation replaced by the related model, at
    /// the position of the first key field.
    func relationInitializer(
        _ fields: [(ModelField, SchemaField)],
        _ relations: [RelationParameter],
        _ names: SwiftNames,
        owner: String,
        idDefault: Bool,
        into source: inout SwiftSource
    ) {
        let parameters = fields.filter { !$0.0.isReadOnly }
        let modelName = owner
        var keyOwner: [String: RelationParameter] = [:]
        for relation in relations {
            for key in relation.keys { keyOwner[key.local.name] = relation }
        }
        var declarations: [String] = []
        var arguments: [String] = []
        for (field, info) in parameters {
            let label = names.argumentLabel(field.name, of: modelName)
            let value = names.member(field.name, of: modelName)
            guard let relation = keyOwner[field.name] else {
                declarations.append(parameterDeclaration(field, info, names, owner: modelName, idDefault: idDefault))
                arguments.append("\(label): \(value)")
                continue
            }
            let name = names.member(relation.relation.name, of: modelName)
            if relation.keys.first?.local.name == field.name {
                let related = names.type(relation.relation.relatedModel)
                declarations.append("\(name): \(related)\(relation.isOptional ? "?" : "")")
            }
            let target = relation.keys.first { $0.local.name == field.name }!.target
            let access = relation.isOptional ? "?." : "."
            let targetName = names.member(target.name, of: relation.relation.relatedModel)
            arguments.append("\(label): \(name)\(access)\(targetName)")
        }
        source.line()
        source.line(
            "/// Creates a `\(names.type(modelName))` from the models it relates to: their keys fill its key fields."
        )
        source.line("\(accessPrefix)init(")
        source.indented { source in
            for (offset, declaration) in declarations.enumerated() {
                source.line(declaration + (offset == declarations.count - 1 ? "" : ","))
            }
        }
        source.line(") {")
        source.indented { source in
            source.list("self.init(", arguments, close: ")")
            source.list(
                "_relations = RelationContext(loading: [",
                relations.map { parameter in
                    let name = names.member(parameter.relation.name, of: modelName)
                    return "\(SwiftSyntax.stringLiteral(parameter.relation.name)): \(name)"
                },
                close: "])"
            )
        }
        source.line("}")
    }

    /// For each relation: the static ``RelationPath`` and the lazy property.
    func relationMembers(_ model: ModelDefinition, _ names: SwiftNames, into source: inout SwiftSource) {
        let schema = model.schema
        for relation in schema.relations {
            let name = names.member(relation.name, of: schema.name)
            let related = names.type(relation.relatedModel)
            source.line()
            source.documentation(model.relationDescriptions[relation.name] ?? relationSummary(relation, schema.name))
            switch relation.kind {
            case .hasMany:
                source.block("\(accessPrefix)var \(name): RelatedModels<\(related)>") { source in
                    source.line("Self.\(name).all(of: self)")
                }
            case .hasOne, .belongsTo:
                let load = relation.isRequired ? "loadRequired" : "load"
                source.block("\(accessPrefix)var \(name): \(related)\(relation.isRequired ? "" : "?")") { source in
                    source.block("get async throws(DataStoreError)") { source in
                        source.line("try await Self.\(name).\(load)(from: self)")
                    }
                }
            }
            source.line()
            source.line("/// The `\(relation.name)` relation, for predicates that select by related models.")
            source.line(
                "\(accessPrefix)static let \(name) = relation(\(SwiftSyntax.stringLiteral(relation.name)), to: \(related).self)"
            )
        }
    }

    private func relationSummary(_ relation: ModelRelation, _ model: String) -> String {
        switch relation.kind {
        case .hasMany: "The `\(relation.relatedModel)` models of this `\(model)`, loaded on demand."
        case .hasOne: "The `\(relation.relatedModel)` of this `\(model)`, loaded on demand."
        case .belongsTo: "The `\(relation.relatedModel)` this `\(model)` belongs to, loaded on demand."
        }
    }

    /// `identifier` (the model's key) and `identifier(…)` (a key from values).
    func identifierMembers(_ schema: ModelSchema, _ names: SwiftNames, into source: inout SwiftSource) {
        guard !schema.relations.contains(where: { $0.name == "identifier" }) else { return }
        let keyFields = schema.primaryKey.compactMap { schema.field(named: $0) }
        let keyType = "ModelKey<\(names.type(schema.name))>"
        if schema.field(named: "identifier") == nil {
            source.line()
            source.line("/// The model's identifier (its primary key), for `query(_:byIdentifier:)` and the like.")
            source.line("\(accessPrefix)var identifier: \(keyType) { ModelKey(of: self) }")
        }
        source.line()
        source.line("/// The identifier of the `\(schema.name)` with these key values.")
        let parameters = keyFields.map {
            "\(names.member($0.name, of: schema.name)): \(SwiftSyntax.type($0.type, isRequired: true, names))"
        }
        let values = keyFields.map { "\(names.member($0.name, of: schema.name)).fieldValue" }
        let signature = "\(accessPrefix)static func identifier(\(parameters.joined(separator: ", "))) -> \(keyType)"
        let body = "ModelKey([\(values.joined(separator: ", "))])"
        if signature.count + body.count + 8 + 4 <= SwiftSource.lineLength {
            source.line("\(signature) { \(body) }")
            return
        }
        source.line("\(accessPrefix)static func identifier(")
        source.indented { source in
            for (offset, parameter) in parameters.enumerated() {
                source.line(parameter + (offset == parameters.count - 1 ? "" : ","))
            }
        }
        source.line(") -> \(keyType) {")
        source.indented { source in source.list("ModelKey([", values, close: "])") }
        source.line("}")
    }
}
