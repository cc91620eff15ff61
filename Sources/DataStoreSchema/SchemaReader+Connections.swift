import DataStore

/// v1's `@connection`, in all its forms: named connections between two sides, `keyName`/`fields`
/// connections, and the implicit key of an unnamed one.
extension SchemaReader {
    func resolveConnection(_ model: ModelDraft, _ field: RelationFieldDraft, _ related: ModelDraft) {
        let owner = "\(model.name).\(field.name)"
        let directive = field.directive
        let isList = field.reference.isList
        if let fields = directive.arguments["fields"]?.stringList {
            var target = related.primaryKey
            var targetName = "\(related.name)'s primary key"
            var indexName: String?
            if isList, let keyName = directive.arguments["keyName"]?.string {
                guard let key = related.namedKeys[keyName] else {
                    return error(
                        directive.position(of: "keyName"),
                        "@connection on \(owner) names the key \(keyName), which \(related.name) does not have",
                        hint: "add @key(name: \"\(keyName)\", fields: [...]) to \(related.name)"
                    )
                }
                target = key
                targetName = "the key \(keyName)"
                indexName = keyName
            }
            guard let matched = matchFields(fields, to: target, named: targetName, model, directive, owner) else {
                return
            }
            model.relations.append(
                ModelRelation(
                    name: field.name,
                    kind: isList ? .hasMany : .belongsTo,
                    relatedModel: related.name,
                    localFields: fields,
                    // A parent's primary key is the default, so a belongsTo leaves it implicit.
                    relatedFields: isList ? matched : [],
                    index: indexName,
                    isRequired: field.reference.isRequired
                )
            )
            return
        }
        if let name = directive.arguments["name"]?.string {
            guard
                let other = related.relationFields.first(where: { candidate in
                    candidate.directive.name == "connection" && candidate.directive.arguments["name"]?.string == name
                        && candidate.relatedModel == model.name && !(related === model && candidate.name == field.name)
                })
            else {
                return error(
                    directive.position(of: "name"),
                    "@connection(name: \"\(name)\") on \(owner) has no counterpart in \(related.name)",
                    hint: "add a field with @connection(name: \"\(name)\") to \(related.name)"
                )
            }
            // v1's keyField names the key both sides share.
            let keyField = directive.arguments["keyField"]?.string ?? other.directive.arguments["keyField"]?.string
            switch (isList, other.reference.isList) {
            case (true, false):
                let key = keyField ?? Naming.camelCase([related.name, other.name, "id"])
                addIDRelation(.hasMany, field, of: model, to: related, key: key, isRequired: field.reference.isRequired)
            case (false, true):
                let key = keyField ?? Naming.camelCase([model.name, field.name, "id"])
                addIDRelation(
                    .belongsTo,
                    field,
                    of: model,
                    to: related,
                    key: key,
                    isRequired: field.reference.isRequired
                )
            case (false, false):
                // One to one: the non-null side stores the key and belongs to the other.
                if field.reference.isRequired == other.reference.isRequired {
                    return error(
                        field.position,
                        "the one-to-one @connection(name: \"\(name)\") between \(owner) and \(related.name).\(other.name) needs exactly one required side",
                        hint: "make the side that holds the key non-null"
                    )
                }
                if field.reference.isRequired {
                    let key = Naming.camelCase([model.name, field.name, "id"])
                    addIDRelation(.belongsTo, field, of: model, to: related, key: key, isRequired: true)
                } else {
                    let key = Naming.camelCase([related.name, other.name, "id"])
                    addIDRelation(.hasOne, field, of: model, to: related, key: key, isRequired: false)
                }
            case (true, true):
                error(
                    field.position,
                    "@connection(name: \"\(name)\") cannot connect two lists",
                    hint: "use @manyToMany"
                )
            }
            return
        }
        let key = Naming.camelCase([model.name, field.name, "id"])
        addIDRelation(
            isList ? .hasMany : .belongsTo,
            field,
            of: model,
            to: related,
            key: key,
            isRequired: field.reference.isRequired
        )
    }

    /// Adds `model`'s relation `field` to `related` through the `ID` field `key`, added where the
    /// relation keeps it: on `model` for `belongsTo`, on `related` for `hasMany` and `hasOne`.
    func addIDRelation(
        _ kind: ModelRelation.Kind,
        _ field: RelationFieldDraft,
        of model: ModelDraft,
        to related: ModelDraft,
        key: String,
        isRequired: Bool
    ) {
        let onModel = kind == .belongsTo
        (onModel ? model : related).addRelationKey(key, type: .id)
        model.relations.append(
            ModelRelation(
                name: field.name,
                kind: kind,
                relatedModel: related.name,
                localFields: onModel ? [key] : [],
                relatedFields: onModel ? [] : [key],
                isRequired: isRequired
            )
        )
    }
}
