import DataStoreAppSync

/// The errors the server answers with are the protocol's error objects (PROTOCOL §2, §4.4);
/// these build the ones it uses most.
extension AppSyncError {
    static func badRequest(_ message: String) -> AppSyncError { AppSyncError(.badRequest, message) }

    static func invalidArguments(_ message: String) -> AppSyncError { AppSyncError(.invalidArguments, message) }

    static func storage(_ error: any Error, _ doing: String) -> AppSyncError {
        storage("\(error)", doing)
    }

    static func storage(_ reason: String, _ doing: String) -> AppSyncError {
        AppSyncError(.internalFailure, "The server's database failed while \(doing): \(reason).")
    }

    /// The message AppSync (DynamoDB) gives for a failed conditional write.
    static func conditionalCheckFailed(_ reason: String) -> AppSyncError {
        AppSyncError(.conditionalCheckFailed, "The conditional request failed: \(reason).")
    }
}
