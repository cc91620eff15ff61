public import Logging

extension DataStore {
    /// Options of a ``DataStore``.
    public struct Configuration: Sendable {
        /// How many unconsumed commits an ``DataStore/observe(_:where:)`` sequence may hold before it
        /// fails with ``DataStoreError/Code/observerOverflow``. Each commit (a save, a batch save, a
        /// delete) counts once however many models it touched. Default 1,000.
        public var observerBufferLimit: Int = 1_000

        /// What to do when the stored schema cannot be migrated in place. Default ``IncompatibleSchemaPolicy/wipe``.
        public var onIncompatibleSchema: IncompatibleSchemaPolicy = .wipe

        /// Receives problems that no call can throw: outbox mutations discarded by a schema wipe, and
        /// (with sync) errors of background work.
        public var errorHandler: @Sendable (DataStoreError) -> Void = { _ in }

        /// Where the store logs. Libraries never bootstrap logging; by default nothing is logged.
        public var logger = Logger(label: "swift-datastore", factory: { _ in SwiftLogNoOpLogHandler() })

        /// The store's time: the times of outbox entries now, and of sync's timers and stamps.
        /// Tests pass a `ManualClock` (from `DataStoreTesting`). Default ``SystemClock``.
        public var clock: any WallClock = SystemClock()

        /// The default configuration.
        public init() {}
    }
}
