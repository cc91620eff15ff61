import DataStore

/// Relations, as the Amplify transformer resolves them: which side stores the key, under which
/// name, and what it adds (implicit key fields, indexes, join models).
extension SchemaReader {
    func resolveRelations() {
        var manyToMany: [String: [(model: ModelDraft, field: RelationFieldDraft)]] = [:]
        var manyToManyOrder: [String] = []
        for draft in drafts {
            for field in draft.relationFields {
                guard let related = draftsByName[field.relatedModel] else { continue }
                switch field.directive.name {
                case "hasOne": resolveHasOne(draft, field, related)
                case "hasMany": resolveHasMany(draft, field, related)
                case "belongsTo": resolveBelongsTo(draft, field, related)
                case "connection": resolveConnection(draft, field, related)
                case "manyToMany":
                    let name = field.directive.arguments["relationName"]?.string ?? ""
                    if manyToMany[name] == nil { manyToManyOrder.append(name) }
                    manyToMany[name, default: []].append((draft, field))
                default: break
                }
            }
        }
        for name in manyToManyOrder { resolveManyToMany(name, manyToMany[name]!) }
        linkInverses()
        indexRelationKeys()
    }

    /// Gives every key that children hold (the related side of `hasMany` and of `hasOne` keyed
    /// there) an index, unless one already starts with those fields: loading a parent's children,
    /// cascading deletes and predicates across relations then search instead of scanning. The
    /// implicit `@hasMany` keys already have the transformer's `gsi-Model.field` index; this adds
    /// the same for `references` and v1 connections.
    private func indexRelationKeys() {
        for draft in drafts {
            for relation in draft.relations where relation.kind != .belongsTo && !relation.relatedFields.isEmpty {
                guard let related = draftsByName[relation.relatedModel] else { continue }
                let keys = relation.relatedFields
                let covered =
                    related.indexes.contains { Array($0.fields.prefix(keys.count)) == keys }
                    || Array(related.primaryKey.prefix(keys.count)) == keys
                if !covered { related.addIndex(ModelIndex(name: "gsi-\(draft.name).\(relation.name)", fields: keys)) }
            }
        }
    }

    // MARK: v2

    private func resolveHasOne(_ model: ModelDraft, _ field: RelationFieldDraft, _ related: ModelDraft) {
        let owner = "\(model.name).\(field.name)"
        guard !field.reference.isList else {
            return error(
                field.position,
                "@hasOne on \(owner) needs a single \(related.name), not a list",
                hint: "use @hasMany for lists"
            )
        }
        let directive = field.directive
        var relation = ModelRelation(
            name: field.name,
            kind: .hasOne,
            relatedModel: related.name,
            isRequired: field.reference.isRequired
        )
        if let references = directive.arguments["references"]?.stringList {
            guard checkReferences(references, on: related, matching: model, directive, owner) else { return }
            relation = ModelRelation(
                name: field.name,
                kind: .hasOne,
                relatedModel: related.name,
                relatedFields: references,
                isRequired: field.reference.isRequired
            )
        } else if let fields = directive.arguments["fields"]?.stringList {
            guard checkKeyFields(fields, on: model, referencing: related, directive, owner) else { return }
            relation = ModelRelation(
                name: field.name,
                kind: .hasOne,
                relatedModel: related.name,
                localFields: fields,
                isRequired: field.reference.isRequired
            )
        } else {
            let keys = related.primaryKey.map { Naming.camelCase([model.name, field.name, $0]) }
            for (key, keyField) in zip(keys, related.primaryKey) {
                model.addRelationKey(key, type: related.field(named: keyField)?.type ?? .id)
            }
            relation = ModelRelation(
                name: field.name,
                kind: .hasOne,
                relatedModel: related.name,
                localFields: keys,
                isRequired: field.reference.isRequired
            )
        }
        model.relations.append(relation)
    }

    /// The fields of `target` (an index or primary key, `targetName` in messages) that `fields` of
    /// this model pair with, or nil after reporting fields that do not exist or are too many.
    func matchFields(
        _ fields: [String],
        to target: [String],
        named targetName: String,
        _ model: ModelDraft,
        _ directive: DirectiveUse,
        _ owner: String
    ) -> [String]? {
        guard checkFieldsExist(fields, on: model, directive, owner) else { return nil }
        guard fields.count <= target.count else {
            error(
                directive.position(of: "fields"),
                "@\(directive.name) on \(owner) lists \(fields.count) fields but \(targetName) has \(target.count)"
            )
            return nil
        }
        return Array(target.prefix(fields.count))
    }

    private func resolveHasMany(_ model: ModelDraft, _ field: RelationFieldDraft, _ related: ModelDraft) {
        let owner = "\(model.name).\(field.name)"
        guard field.reference.isList else {
            return error(
                field.position,
                "@hasMany on \(owner) needs a list of \(related.name)",
                hint: "write [\(related.name)]"
            )
        }
        let directive = field.directive
        let relatedFields: [String]
        // The fields of this model the related models' keys hold; empty means the primary key.
        var localFields: [String] = []
        var namedIndex: String?
        if let references = directive.arguments["references"]?.stringList {
            guard checkReferences(references, on: related, matching: model, directive, owner) else { return }
            relatedFields = references
        } else if let indexName = directive.arguments["indexName"]?.string {
            guard let index = related.indexes.first(where: { $0.name == indexName }) else {
                return error(
                    directive.position(of: "indexName"),
                    "@hasMany on \(owner) names the index \(indexName), which \(related.name) does not have",
                    hint:
                        "add @index(name: \"\(indexName)\") to the field of \(related.name) that holds the \(model.name) key"
                )
            }
            let fields = directive.arguments["fields"]?.stringList ?? [model.primaryKey.first ?? "id"]
            guard
                let matched = matchFields(
                    fields,
                    to: index.fields,
                    named: "the index \(indexName)",
                    model,
                    directive,
                    owner
                )
            else { return }
            relatedFields = matched
            localFields = fields
            namedIndex = index.name
        } else if let fields = directive.arguments["fields"]?.stringList {
            let key = related.primaryKey
            guard
                let matched = matchFields(
                    fields,
                    to: key,
                    named: "\(related.name)'s primary key",
                    model,
                    directive,
                    owner
                )
            else { return }
            relatedFields = matched
            localFields = fields
        } else {
            let keys = model.primaryKey.map { Naming.camelCase([model.name, field.name, $0]) }
            for (key, keyField) in zip(keys, model.primaryKey) {
                related.addRelationKey(key, type: model.field(named: keyField)?.type ?? .id)
            }
            related.addIndex(ModelIndex(name: "gsi-\(model.name).\(field.name)", fields: keys))
            relatedFields = keys
        }
        model.relations.append(
            ModelRelation(
                name: field.name,
                kind: .hasMany,
                relatedModel: related.name,
                localFields: localFields,
                relatedFields: relatedFields,
                index: namedIndex,
                isRequired: field.reference.isRequired
            )
        )
    }

    private func resolveBelongsTo(_ model: ModelDraft, _ field: RelationFieldDraft, _ related: ModelDraft) {
        let owner = "\(model.name).\(field.name)"
        guard !field.reference.isList else {
            return error(field.position, "@belongsTo on \(owner) needs a single \(related.name), not a list")
        }
        let directive = field.directive
        let localFields: [String]
        if let references = directive.arguments["references"]?.stringList {
            guard checkKeyFields(references, on: model, referencing: related, directive, owner, argument: "references")
            else { return }
            localFields = references
        } else if let fields = directive.arguments["fields"]?.stringList {
            guard checkKeyFields(fields, on: model, referencing: related, directive, owner) else { return }
            localFields = fields
        } else {
            // Paired with an implicit @hasMany, the key is the one the @hasMany adds; otherwise this
            // model gets its own.
            let parentField = related.relationFields.first { candidate in
                candidate.relatedModel == model.name && candidate.directive.name == "hasMany"
                    && candidate.directive.arguments["fields"] == nil
                    && candidate.directive.arguments["indexName"] == nil
                    && candidate.directive.arguments["references"] == nil
            }
            let prefix = parentField.map { [related.name, $0.name] } ?? [model.name, field.name]
            localFields = related.primaryKey.map { Naming.camelCase(prefix + [$0]) }
            for (key, keyField) in zip(localFields, related.primaryKey) {
                model.addRelationKey(key, type: related.field(named: keyField)?.type ?? .id)
            }
        }
        model.relations.append(
            ModelRelation(
                name: field.name,
                kind: .belongsTo,
                relatedModel: related.name,
                localFields: localFields,
                isRequired: field.reference.isRequired
            )
        )
    }

    private func resolveManyToMany(_ relationName: String, _ sides: [(model: ModelDraft, field: RelationFieldDraft)]) {
        guard let first = sides.first else { return }
        guard sides.count == 2 else {
            let position = sides.count > 2 ? sides[2].field.position : first.field.position
            return error(
                position,
                "@manyToMany(relationName: \"\(relationName)\") must appear on exactly two fields, one on each model (found \(sides.count))",
                hint: sides.count == 1
                    ? "add the other side to \(first.field.relatedModel)" : "use a distinct relationName per relation"
            )
        }
        let (left, right) = (sides[0], sides[1])
        for side in sides where !side.field.reference.isList {
            return error(side.field.position, "@manyToMany on \(side.model.name).\(side.field.name) needs a list type")
        }
        guard left.field.relatedModel == right.model.name, right.field.relatedModel == left.model.name else {
            return error(
                right.field.position,
                "the two @manyToMany(relationName: \"\(relationName)\") fields must point at each other's models"
            )
        }
        guard left.model.name != right.model.name else {
            return error(
                right.field.position,
                "@manyToMany between a model and itself is not supported",
                hint: "model it with an explicit join model"
            )
        }
        guard draftsByName[relationName] == nil, definitionPositions[relationName] == nil else {
            return error(
                first.field.directive.position(of: "relationName"),
                "the @manyToMany join model \(relationName) would clash with an existing type of that name"
            )
        }
        checkTypeName(relationName, at: first.field.directive.position(of: "relationName"))
        let join = ModelDraft(name: relationName, position: first.field.position, description: nil)
        join.isGenerated = true
        join.hasImplicitID = true
        join.primaryKey = ["id"]
        join.options = ModelOptions(
            queries: nil,
            mutations: nil,
            subscriptions: nil,
            createdAtField: "createdAt",
            updatedAtField: "updatedAt"
        )
        var keysBySide: [[String]] = []
        for side in [left, right] {
            let modelName = side.model.name
            let keys = side.model.primaryKey.map { Naming.lowerFirst(modelName) + Naming.upperFirst($0) }
            for (key, keyField) in zip(keys, side.model.primaryKey) {
                let type = side.model.field(named: keyField)?.type ?? .id
                join.declared.append(
                    (
                        .required(key, type),
                        SchemaField(
                            name: key,
                            description: nil,
                            origin: .relationKey,
                            defaultValue: nil,
                            storedName: nil,
                            authRules: [],
                            position: join.position
                        )
                    )
                )
            }
            join.addIndex(ModelIndex(name: "by\(modelName)", fields: keys))
            join.relations.append(
                ModelRelation(
                    name: Naming.lowerFirst(modelName),
                    kind: .belongsTo,
                    relatedModel: modelName,
                    localFields: keys,
                    isRequired: true
                )
            )
            keysBySide.append(keys)
        }
        for name in ["createdAt", "updatedAt"] {
            join.timestamps.append(
                (
                    .optional(name, .dateTime, isReadOnly: true),
                    SchemaField(
                        name: name,
                        description: nil,
                        origin: .timestamp,
                        defaultValue: nil,
                        storedName: nil,
                        authRules: [],
                        position: join.position
                    )
                )
            )
        }
        for (side, keys) in zip([left, right], keysBySide) {
            side.model.relations.append(
                ModelRelation(
                    name: side.field.name,
                    kind: .hasMany,
                    relatedModel: relationName,
                    relatedFields: keys,
                    inverse: Naming.lowerFirst(side.model.name),
                    isRequired: side.field.reference.isRequired
                )
            )
        }
        drafts.append(join)
        draftsByName[relationName] = join
        modelNames.insert(relationName)
    }

    // MARK: Checks

    private func checkFieldsExist(
        _ fields: [String],
        on model: ModelDraft,
        _ directive: DirectiveUse,
        _ owner: String
    )
        -> Bool
    {
        var valid = true
        for name in fields {
            guard let field = model.field(named: name) else {
                error(
                    directive.position(of: "fields"),
                    "@\(directive.name) on \(owner) names \(name), which is not a field of \(model.name)",
                    hint: "declare \(name) on \(model.name)"
                )
                valid = false
                continue
            }
            if !field.type.isScalar {
                error(
                    directive.position(of: "fields"),
                    "@\(directive.name) on \(owner): \(name) must be a scalar or enum field"
                )
                valid = false
            }
        }
        return valid
    }

    /// Key fields on `model` that hold `related`'s primary key.
    private func checkKeyFields(
        _ fields: [String],
        on model: ModelDraft,
        referencing related: ModelDraft,
        _ directive: DirectiveUse,
        _ owner: String,
        argument: String = "fields"
    ) -> Bool {
        guard checkFieldsExist(fields, on: model, directive, owner) else { return false }
        guard fields.count == related.primaryKey.count else {
            error(
                directive.position(of: argument),
                "@\(directive.name)(\(argument):) on \(owner) lists \(fields.count) field(s), but \(related.name)'s primary key has \(related.primaryKey.count): \(related.primaryKey.joined(separator: ", "))",
                hint: "list one field per primary key field of \(related.name), in order"
            )
            return false
        }
        return true
    }

    /// `references:` of a parent-side relation: fields on `related` holding `model`'s primary key.
    private func checkReferences(
        _ references: [String],
        on related: ModelDraft,
        matching model: ModelDraft,
        _ directive: DirectiveUse,
        _ owner: String
    ) -> Bool {
        var valid = true
        for name in references where related.field(named: name) == nil {
            error(
                directive.position(of: "references"),
                "@\(directive.name)(references:) on \(owner) names \(name), which is not a field of \(related.name)",
                hint: "declare \(name) on \(related.name)"
            )
            valid = false
        }
        guard valid else { return false }
        guard references.count == model.primaryKey.count else {
            error(
                directive.position(of: "references"),
                "@\(directive.name)(references:) on \(owner) lists \(references.count) field(s), but \(model.name)'s primary key has \(model.primaryKey.count)"
            )
            return false
        }
        let hasCounterpart = related.relationFields.contains { candidate in
            candidate.relatedModel == model.name && candidate.directive.name == "belongsTo"
                && candidate.directive.arguments["references"]?.stringList == references
        }
        if !hasCounterpart {
            error(
                directive.position,
                "@\(directive.name)(references:) on \(owner) needs a @belongsTo(references: \(references)) field on \(related.name)",
                hint: "relations declared with references must be bidirectional"
            )
            return false
        }
        return true
    }

    /// Records, for each relation, the relation on the other model that points back to it.
    private func linkInverses() {
        for draft in drafts {
            draft.relations = draft.relations.map { relation in
                guard relation.inverse == nil, let related = draftsByName[relation.relatedModel] else {
                    return relation
                }
                let inverse = related.relations.first { candidate in
                    guard candidate.relatedModel == draft.name, !(related === draft && candidate.name == relation.name)
                    else {
                        return false
                    }
                    switch (relation.kind, candidate.kind) {
                    case (.hasMany, .belongsTo), (.hasOne, .belongsTo):
                        return relation.relatedFields.isEmpty
                            ? false : candidate.localFields == relation.relatedFields
                    case (.belongsTo, .hasMany), (.belongsTo, .hasOne):
                        return candidate.relatedFields == relation.localFields
                    default:
                        return false
                    }
                }
                guard let inverse else { return relation }
                return ModelRelation(
                    name: relation.name,
                    kind: relation.kind,
                    relatedModel: relation.relatedModel,
                    localFields: relation.localFields,
                    relatedFields: relation.relatedFields,
                    index: relation.index,
                    inverse: inverse.name,
                    isRequired: relation.isRequired
                )
            }
        }
    }
}
