/// An error thrown by ``DataStore``.
///
/// Every error says what failed (``code``), where (``model``, ``field``, ``path``) and, in its
/// ``message``, what to do about it. Match on ``code``:
///
/// ```swift
/// do {
///     try await store.save(post, where: \.rating > 3)
/// } catch where error.code == .conditionNotMet {
///     // the stored post did not satisfy the condition; nothing was written
/// }
/// ```
///
/// New codes may be added in minor releases, so a `switch` over codes needs a `default`.
public struct DataStoreError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure this is.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case modelNotRegistered
            case invalidSchema
            case unknownField
            case invalidPredicate
            case invalidValue
            case invalidQuery
            case conditionNotMet
            case modelNotFound
            case decodingFailed
            case notADatabase
            case corruptDatabase
            case newerStore
            case incompatibleSchema
            case readOnlyStore
            case storageFull
            case cannotOpen
            case storeClosed
            case observerOverflow
            case cancelled
            case sqlite
            case detachedModel
            case relatedModelMissing
            case duplicateIdentifier
            case syncUnavailable
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The model type was not among the models the store was opened with.
        public static let modelNotRegistered = Code(.modelNotRegistered)
        /// A model schema is malformed (bad name, missing primary key field, duplicate field, …).
        public static let invalidSchema = Code(.invalidSchema)
        /// A key path or field name does not name a stored field of the model.
        public static let unknownField = Code(.unknownField)
        /// A predicate uses an operator or operand that does not fit the field's type.
        public static let invalidPredicate = Code(.invalidPredicate)
        /// A value cannot be stored: a required field is missing, a Float is not finite, an Int is
        /// outside GraphQL's 32-bit range, an AWS scalar is malformed, and so on.
        public static let invalidValue = Code(.invalidValue)
        /// Query arguments are invalid (for example a page size of zero).
        public static let invalidQuery = Code(.invalidQuery)
        /// A conditional write's condition was false for the stored model; nothing was written.
        public static let conditionNotMet = Code(.conditionNotMet)
        /// A conditional write named a model that is not stored; nothing was written.
        public static let modelNotFound = Code(.modelNotFound)
        /// A stored row could not be turned back into a model.
        public static let decodingFailed = Code(.decodingFailed)
        /// The file at the store path is not an SQLite database. It was left untouched.
        public static let notADatabase = Code(.notADatabase)
        /// The SQLite database is damaged. It was left untouched.
        public static let corruptDatabase = Code(.corruptDatabase)
        /// The store was written by a newer schema or a newer version of swift-datastore.
        public static let newerStore = Code(.newerStore)
        /// The stored schema differs from the models in a way that cannot be migrated in place, and
        /// the configuration asks to fail rather than wipe.
        public static let incompatibleSchema = Code(.incompatibleSchema)
        /// The store's location cannot be written.
        public static let readOnlyStore = Code(.readOnlyStore)
        /// The disk (or the configured maximum store size) is full; the write was rolled back.
        public static let storageFull = Code(.storageFull)
        /// The store's file could not be opened or created.
        public static let cannotOpen = Code(.cannotOpen)
        /// Sync was asked of a store that cannot sync: an `.ephemeral` store (sync needs SQLite),
        /// or one opened without sync.
        public static let syncUnavailable = Code(.syncUnavailable)
        /// The store was closed.
        public static let storeClosed = Code(.storeClosed)
        /// An `observe` consumer fell so far behind that its bounded buffer filled up.
        public static let observerOverflow = Code(.observerOverflow)
        /// The task was cancelled before the operation finished; nothing was written.
        public static let cancelled = Code(.cancelled)
        /// SQLite reported an error not covered by a more specific code.
        public static let sqlite = Code(.sqlite)
        /// A relation was loaded from a model that no store produced (build it from a model the
        /// store returned, or use the value that `save` returns).
        public static let detachedModel = Code(.detachedModel)
        /// A required relation points at a model that is not stored: saving a child whose required
        /// parent is missing, or loading a required relation whose target was deleted.
        public static let relatedModelMissing = Code(.relatedModelMissing)
        /// One write names the same identifier twice with different values; nothing was written.
        public static let duplicateIdentifier = Code(.duplicateIdentifier)

        /// The value as text, for messages and logs.
        public var description: String { base.rawValue }
    }

    /// What kind of failure this is.
    public let code: Code
    /// What happened, and what to do about it.
    public let message: String
    /// The model involved, when there is one.
    public let model: String?
    /// The field involved, when there is one.
    public let field: String?
    /// The store path involved, when there is one.
    public let path: String?
    /// The lower-level error that caused this one, if any (for example a GRDB `DatabaseError`).
    public let underlyingError: (any Error)?

    /// Creates an error. Library code uses the static factories; this initializer exists for
    /// adapters and tests.
    public init(
        code: Code,
        message: String,
        model: String? = nil,
        field: String? = nil,
        path: String? = nil,
        underlyingError: (any Error)? = nil
    ) {
        self.code = code
        self.message = message
        self.model = model
        self.field = field
        self.path = path
        self.underlyingError = underlyingError
    }

    /// The value as text, for messages and logs.
    public var description: String {
        var where_: [String] = []
        if let model {
            where_.append(field.map { "\(model).\($0)" } ?? model)
        } else if let field {
            where_.append(field)
        }
        if let path { where_.append("at \(path)") }
        let location = where_.isEmpty ? "" : " (\(where_.joined(separator: " ")))"
        return "DataStoreError.\(code)\(location): \(message)"
    }

    /// A copy of this error that names `model` (and `field`) when it does not already.
    func locating(model: String?, field: String? = nil) -> DataStoreError {
        DataStoreError(
            code: code,
            message: message,
            model: self.model ?? model,
            field: self.field ?? field,
            path: path,
            underlyingError: underlyingError
        )
    }
}

extension DataStoreError {
    static func modelNotRegistered(_ name: String) -> DataStoreError {
        DataStoreError(
            code: .modelNotRegistered,
            message: "The model \(name) is not registered with this store. "
                + "Pass it (or the registry that lists it) to DataStore(models:).",
            model: name
        )
    }

    static func unknownField(_ field: String, in model: String) -> DataStoreError {
        DataStoreError(
            code: .unknownField,
            message: "\(model) has no stored field named \(field). "
                + "Predicates and sorts can only use fields declared in the model's schema.",
            model: model,
            field: field
        )
    }

    static func storeClosed() -> DataStoreError {
        DataStoreError(code: .storeClosed, message: "The store was closed. Open a new DataStore to continue.")
    }

    package static func syncUnavailable() -> DataStoreError {
        DataStoreError(
            code: .syncUnavailable,
            message: "This store cannot sync: sync keeps its metadata in SQLite, so open the store with .file(at:) "
                + "or .sqliteInMemory, not .ephemeral."
        )
    }

    static func cancelled() -> DataStoreError {
        DataStoreError(code: .cancelled, message: "The task was cancelled; nothing was written.")
    }
}
