/// A relation with both ends resolved to stored fields: a `source` row and a `target` row are
/// related when the source's ``localIndices`` values equal the target's ``targetIndices`` values,
/// none of them null.
struct RelationJoin: Hashable, Sendable {
    let relation: ModelRelation
    let source: ModelSchema
    let target: ModelSchema
    /// Positions in `source.fields` of the matched fields.
    let localIndices: [Int]
    /// Positions in `target.fields` of the matched fields, in the same order.
    let targetIndices: [Int]

    /// Whether the relation is `source.name + "." + relation.name`, for messages.
    var description: String { "\(source.name).\(relation.name)" }

    /// Whether the join matches the target's whole primary key, so that it finds at most one row by
    /// identifier.
    var targetsPrimaryKey: Bool { targetIndices == target.primaryKeyIndices }

    /// Whether deleting a source row deletes the related target rows: a parent's `hasMany` and
    /// `hasOne` children go with it, a `belongsTo` parent stays.
    var cascades: Bool { relation.kind != .belongsTo }

    /// Resolves `relation` of `source` against `target`, checking that both ends name stored fields
    /// of matching types.
    ///
    /// An empty ``ModelRelation/localFields`` or ``ModelRelation/relatedFields`` stands for that
    /// side's primary key, shortened to the other side's length when the other side names fewer
    /// fields (a v1 `@connection` may match a key prefix).
    init(_ relation: ModelRelation, from source: ModelSchema, to target: ModelSchema) throws(DataStoreError) {
        func invalid(_ message: String) -> DataStoreError {
            DataStoreError(
                code: .invalidSchema,
                message: "The relation \(source.name).\(relation.name) to \(target.name) \(message).",
                model: source.name,
                field: relation.name
            )
        }
        var local = relation.localFields
        var remote = relation.relatedFields
        switch (local.isEmpty, remote.isEmpty) {
        case (true, true):
            local = source.primaryKey
            remote = target.primaryKey
        case (true, false):
            local = Array(source.primaryKey.prefix(remote.count))
        case (false, true):
            remote = Array(target.primaryKey.prefix(local.count))
        case (false, false):
            break
        }
        guard !local.isEmpty, local.count == remote.count else {
            throw invalid(
                "matches \(local.count) field(s) of \(source.name) with \(remote.count) of \(target.name); "
                    + "both sides need the same number"
            )
        }
        var localIndices: [Int] = []
        var targetIndices: [Int] = []
        for (localName, remoteName) in zip(local, remote) {
            guard let localIndex = source.fieldIndex(named: localName) else {
                throw invalid("uses the field \(localName), which \(source.name) does not store")
            }
            guard let remoteIndex = target.fieldIndex(named: remoteName) else {
                throw invalid("uses the field \(remoteName), which \(target.name) does not store")
            }
            let localType = source.fields[localIndex].type
            let remoteType = target.fields[remoteIndex].type
            guard localType.isKeyCompatible(with: remoteType) else {
                throw invalid(
                    "matches \(source.name).\(localName) (\(localType.graphQLName)) with "
                        + "\(target.name).\(remoteName) (\(remoteType.graphQLName)), which cannot be equal"
                )
            }
            localIndices.append(localIndex)
            targetIndices.append(remoteIndex)
        }
        self.relation = relation
        self.source = source
        self.target = target
        self.localIndices = localIndices
        self.targetIndices = targetIndices
    }

    /// The key a source row relates by, or nil when part of it is null (the row relates to nothing).
    func localKey(_ values: [FieldValue]) -> [FieldValue]? { Self.key(values, at: localIndices) }

    /// The key a target row is related by, or nil when part of it is null.
    func targetKey(_ values: [FieldValue]) -> [FieldValue]? { Self.key(values, at: targetIndices) }

    private static func key(_ values: [FieldValue], at indices: [Int]) -> [FieldValue]? {
        var key: [FieldValue] = []
        key.reserveCapacity(indices.count)
        for index in indices {
            let value = values[index]
            if value.isNull { return nil }
            key.append(value)
        }
        return key
    }

    /// The target rows related to a source row whose key is `key`: a predicate on the target.
    func targetPredicate(forKey key: [FieldValue]) -> ResolvedPredicate {
        let tests = zip(targetIndices, key).map { index, value in
            ResolvedPredicate.test(index, target.fields[index], .eq(value))
        }
        return tests.count == 1 ? tests[0] : .and(tests)
    }

    /// The same predicate in untyped form, for queries through the public API.
    func targetModelPredicate(forKey key: [FieldValue]) -> ModelPredicate {
        .conjunction(zip(targetIndices, key).map { index, value in .field(target.fields[index].name, .eq(value)) })
    }
}

extension FieldType {
    /// Whether a value of this type can equal a value of `other` in a relation key (`ID` and
    /// `String` both hold text).
    func isKeyCompatible(with other: FieldType) -> Bool {
        switch (self, other) {
        case (.id, .string), (.string, .id): true
        default: self == other && isScalar
        }
    }
}
