public import DataStore
public import DataStoreAppSync

/// How one attempt to send a mutation failed: what the transport saw.
public enum SendFailure: Error, Hashable, Sendable {
    /// No HTTP answer: the connection could not be made or broke, or the request timed out.
    case transport(String)
    /// An HTTP answer with a status other than 200, its `Retry-After`, and any AppSync errors in
    /// its body.
    case status(Int, retryAfter: Duration?, errors: [AppSyncError])
    /// A GraphQL answer (status 200) with errors.
    case errors([AppSyncError])
    /// An answer that is not a GraphQL response (an HTML page from a proxy, a cut body).
    case malformed(String)
}

/// What the outbox does about a failed send (ARCHITECTURE §7).
public enum FailureClass: Hashable, Sendable {
    /// Sends again after a back-off; at least `retryAfter` when the server said so.
    case retry(retryAfter: Duration?)
    /// Stops sending until credentials change; nothing is dropped.
    case pause(String)
    /// A version conflict the server did not resolve; `remote` is its copy (the error's `data`).
    case conflict(remote: FieldValue?)
    /// The write's condition did not hold on the server (or a create met an existing key).
    case conditionFailed(String)
    /// Sending again cannot help: the row goes to the dead letters, the error handler is told.
    case fatal(String)
}

/// The one place that sorts failures into classes: a pure function, table-tested.
public enum FailureClassifier {
    /// The class of `failure`.
    public static func classify(_ failure: SendFailure) -> FailureClass {
        switch failure {
        case .transport:
            return .retry(retryAfter: nil)
        case .malformed:
            // Most often something between us and the server (a portal, a proxy, a cut answer):
            // the row waits, as for a lost connection, rather than being given up.
            return .retry(retryAfter: nil)
        case .status(let status, let retryAfter, let errors):
            switch status {
            case 401, 403: return .pause(message(errors) ?? "HTTP \(status): not authorized")
            case 408, 429, 500...599: return .retry(retryAfter: retryAfter)
            default:
                guard !errors.isEmpty else { return .fatal("HTTP \(status) without an AppSync error") }
                return classify(errors)
            }
        case .errors(let errors):
            return errors.isEmpty ? .fatal("an answer with an empty errors list") : classify(errors)
        }
    }

    /// The class of a GraphQL answer's errors: authorization first (nothing else can be judged
    /// without it), then a lone conflict or failed condition, then passing troubles; anything else
    /// is fatal.
    static func classify(_ errors: [AppSyncError]) -> FailureClass {
        let types = errors.map(\.errorType)
        if types.contains(.unauthorized) { return .pause(message(errors) ?? "not authorized") }
        if errors.count == 1, let error = errors.first {
            switch error.errorType {
            case .conflictUnhandled?: return .conflict(remote: error.data)
            case .conditionalCheckFailed?: return .conditionFailed(error.message)
            default: break
            }
        }
        if types.allSatisfy(isPassing) { return .retry(retryAfter: nil) }
        return .fatal(message(errors) ?? "the server refused the mutation")
    }

    /// Whether an error of this type may pass by itself: the server ran out of time, its storage
    /// failed, or it throttled the caller.
    static func isPassing(_ type: AppSyncErrorType?) -> Bool {
        switch type {
        case .executionTimeout?, .internalFailure?: return true
        case .other(let name)?:
            return name.contains("Throttl") || name.contains("ProvisionedThroughputExceeded")
                || name.contains("ServiceUnavailable") || name.contains("TooManyRequests")
        default: return false
        }
    }

    private static func message(_ errors: [AppSyncError]) -> String? {
        errors.isEmpty
            ? nil
            : errors.map { error in
                error.errorType.map { "\($0): \(error.message)" } ?? error.message
            }.joined(separator: "; ")
    }
}
