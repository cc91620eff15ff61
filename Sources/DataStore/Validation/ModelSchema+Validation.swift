extension ModelSchema {
    /// Checks a model's encoded values before they are written.
    ///
    /// - Throws: ``DataStoreError/Code/invalidValue`` naming the model and field.
    func validate(_ values: [FieldValue]) throws(DataStoreError) {
        guard values.count == fields.count else {
            throw DataStoreError(
                code: .invalidValue,
                message: "The model encoded \(values.count) values but its schema has \(fields.count) fields. "
                    + "Regenerate the model so that fieldValues follows the schema.",
                model: name
            )
        }
        for (index, field) in fields.enumerated() {
            if let problem = Self.problem(with: values[index], for: field.type, isRequired: field.isRequired) {
                throw DataStoreError(
                    code: .invalidValue,
                    message: "\(problem.description). Fix the value before saving.",
                    model: name,
                    field: ([field.name] + problem.path).joined(separator: ".")
                )
            }
        }
        try validateKey(primaryKeyIndices.map { values[$0] })
    }

    /// Checks identifier values: a key field may not be empty, since the backend (DynamoDB) cannot
    /// store an empty key.
    ///
    /// - Throws: ``DataStoreError/Code/invalidValue`` naming the field.
    func validateKey(_ key: [FieldValue]) throws(DataStoreError) {
        for (position, value) in key.enumerated() where value == .string("") {
            throw DataStoreError(
                code: .invalidValue,
                message: "The key field \(primaryKey[position]) is empty; every part of a \(name)'s identifier "
                    + "needs a value.",
                model: name,
                field: primaryKey[position]
            )
        }
    }

    /// The first problem with `value` as a value of `type`, or nil when it is valid.
    static func problem(with value: FieldValue, for type: FieldType, isRequired: Bool) -> FieldValueError? {
        if case .null = value {
            return isRequired ? FieldValueError("a value is required (the field is non-null)") : nil
        }
        func mismatch() -> FieldValueError {
            FieldValueError("expected \(type.graphQLName), found \(value.kindName)")
        }
        func format(_ check: (String) -> String?) -> FieldValueError? {
            guard case .string(let text) = value else { return mismatch() }
            if let problem = stringProblem(text) { return problem }
            return check(text).map { FieldValueError("\"\(text)\" is not a valid \(type.graphQLName): \($0)") }
        }
        switch type {
        case .id, .string:
            guard case .string(let text) = value else { return mismatch() }
            return stringProblem(text)
        case .int:
            guard case .int(let number) = value else { return mismatch() }
            guard number >= Int(Int32.min), number <= Int(Int32.max) else {
                return FieldValueError(
                    "\(number) is outside GraphQL Int's 32-bit range; use AWSTimestamp or Float for larger numbers"
                )
            }
            return nil
        case .timestamp:
            guard case .int = value else { return mismatch() }
            return nil
        case .float:
            guard case .double(let number) = value else { return mismatch() }
            return number.isFinite ? nil : FieldValueError("\(number) is not a finite number")
        case .boolean:
            guard case .bool = value else { return mismatch() }
            return nil
        case .date: return format(dateProblem)
        case .time: return format(timeProblem)
        case .dateTime: return format(dateTimeProblem)
        case .email: return format(ScalarFormat.emailProblem)
        case .url: return format(ScalarFormat.urlProblem)
        case .phone: return format(ScalarFormat.phoneProblem)
        case .ipAddress: return format(ScalarFormat.ipAddressProblem)
        case .json:
            return format(jsonProblem)
        case .enumeration(let enumType):
            guard case .string(let raw) = value else { return mismatch() }
            return enumType.values.contains(raw)
                ? nil : FieldValueError("\"\(raw)\" is not a value of \(enumType.name)")
        case .list(let element, let elementsRequired):
            guard case .list(let elements) = value else { return mismatch() }
            for (index, element_) in elements.enumerated() {
                if let problem = problem(with: element_, for: element, isRequired: elementsRequired) {
                    return problem.inside(String(index))
                }
            }
            return nil
        case .embedded(let embedded):
            guard case .object(let members) = value else { return mismatch() }
            for field in embedded.fields {
                if let problem = problem(
                    with: members[field.name] ?? .null,
                    for: field.type,
                    isRequired: field.isRequired
                ) {
                    return problem.inside(field.name)
                }
            }
            for key in members.keys where !embedded.fields.contains(where: { $0.name == key }) {
                return FieldValueError("\(embedded.name) has no field named \(key)")
            }
            return nil
        }
    }

    private static func stringProblem(_ text: String) -> FieldValueError? {
        text.utf8.contains(0) ? FieldValueError("strings cannot contain U+0000 (NUL)") : nil
    }
}

private func dateProblem(_ text: String) -> String? {
    do throws(TemporalParseError) {
        _ = try Temporal.Date(iso8601String: text)
        return nil
    } catch {
        return error.reason
    }
}

private func timeProblem(_ text: String) -> String? {
    do throws(TemporalParseError) {
        _ = try Temporal.Time(iso8601String: text)
        return nil
    } catch {
        return error.reason
    }
}

private func dateTimeProblem(_ text: String) -> String? {
    if Temporal.DateTime.isStoredForm(text) { return nil }
    do throws(TemporalParseError) {
        let parsed = try Temporal.DateTime(iso8601String: text)
        // Only the stored form sorts correctly as text.
        return parsed.iso8601String == text ? nil : "not in stored form (\(parsed.iso8601String))"
    } catch {
        return error.reason
    }
}

private func jsonProblem(_ text: String) -> String? {
    do throws(JSONParseError) {
        _ = try FieldValue(jsonText: text)
        return nil
    } catch {
        return error.description
    }
}

extension FieldType {
    /// `value`, as it arrives in JSON from elsewhere (the wire, another client), in the form a
    /// field of this type stores and compares: integers for Floats become doubles, date-times
    /// become their stored form (UTC, milliseconds), inside lists and non-model objects too.
    /// Values that do not fit are returned unchanged, for ``problem(with:isRequired:)`` to report.
    package func storedForm(of value: FieldValue) -> FieldValue {
        switch (self, value) {
        case (.float, .int(let number)):
            return .double(Double(number))
        case (.dateTime, .string(let text)):
            return (try? Temporal.DateTime(iso8601String: text)).map { .string($0.iso8601String) } ?? value
        case (.list(let element, _), .list(let items)):
            return .list(items.map { element.storedForm(of: $0) })
        case (.embedded(let embedded), .object(let members)):
            var converted = members
            for field in embedded.fields {
                if let member = members[field.name] { converted[field.name] = field.type.storedForm(of: member) }
            }
            return .object(converted)
        default:
            return value
        }
    }

    /// Why `value` cannot be stored in a field of this type, or nil when it can. The same check a
    /// save performs.
    public func problem(with value: FieldValue, isRequired: Bool) -> String? {
        ModelSchema.problem(with: value, for: self, isRequired: isRequired)?.description
    }
}
