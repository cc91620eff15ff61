import GRDB

extension DataStoreError {
    /// Maps an error thrown inside or by GRDB to a ``DataStoreError`` naming the store path.
    static func sqlite(_ error: any Error, path: String?, model: String? = nil) -> DataStoreError {
        if let error = error as? DataStoreError { return error.atStorePath(path) }
        if error is CancellationError { return .cancelled() }
        guard let error = error as? DatabaseError else {
            return DataStoreError(
                code: .sqlite,
                message: "Unexpected storage error: \(error).",
                model: model,
                path: path,
                underlyingError: error
            )
        }
        let detail = error.message ?? "\(error.resultCode)"
        func make(_ code: Code, _ message: String) -> DataStoreError {
            DataStoreError(code: code, message: message, model: model, path: path, underlyingError: error)
        }
        switch error.resultCode {
        case .SQLITE_NOTADB:
            return make(
                .notADatabase,
                "The file is not an SQLite database (\(detail)). It was left untouched; "
                    + "point the store at another path or move the file away."
            )
        case .SQLITE_CORRUPT:
            return make(
                .corruptDatabase,
                "The database is damaged (\(detail)). It was left untouched; restore it from a backup "
                    + "or delete it to start over."
            )
        case .SQLITE_FULL:
            return make(
                .storageFull,
                "The disk or the store's size limit is full (\(detail)); the write was rolled back. "
                    + "Free space, raise the limit, or delete data."
            )
        case .SQLITE_READONLY, .SQLITE_PERM, .SQLITE_AUTH:
            return make(
                .readOnlyStore,
                "The store cannot be written (\(detail)). Check that the location is writable."
            )
        case .SQLITE_CANTOPEN:
            return make(
                .cannotOpen,
                "The store's file cannot be opened or created (\(detail)). Check that the directory exists "
                    + "and is writable."
            )
        case .SQLITE_INTERRUPT:
            return .cancelled()
        case .SQLITE_IOERR:
            return make(.sqlite, "A disk I/O error occurred (\(detail)); the operation was rolled back.")
        default:
            return make(.sqlite, "SQLite failed: \(detail).")
        }
    }
}

extension DataStoreError {
    /// Storage-level errors raised deep inside a session do not know the store path; this adds it.
    func atStorePath(_ path: String?) -> DataStoreError {
        guard self.path == nil, let path else { return self }
        switch code {
        case .notADatabase, .corruptDatabase, .storageFull, .readOnlyStore, .cannotOpen, .sqlite, .newerStore,
            .incompatibleSchema:
            return DataStoreError(
                code: code,
                message: message,
                model: model,
                field: field,
                path: path,
                underlyingError: underlyingError
            )
        default:
            return self
        }
    }
}
