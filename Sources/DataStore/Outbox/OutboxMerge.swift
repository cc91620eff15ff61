/// How a new local write joins the pending outbox rows of the same record (ARCHITECTURE §7).
///
/// Only the record's newest pending row can absorb the new write, and only when it is not in
/// flight (what is on the wire cannot change) and neither carries a condition (a conditional write
/// must reach the server as it was made). Then the two rows become one: what the server must do
/// to end in the state the two writes leave locally.
///
/// | newest pending | new write | result |
/// |---|---|---|
/// | create | update | create, with the new values |
/// | create | delete | nothing: the record never reaches the server |
/// | update | update | update, with the new values |
/// | update | delete | delete |
/// | delete | create | update: the delete never left, so the server still has the record |
/// | delete | update | update |
/// | delete | delete | delete |
///
/// A create after an unsent create or update, which a store does not produce, replaces the row
/// with the create. Each replacement takes the new write's values. Whether a row goes out as a create or an update is decided again when it
/// is sent, from what the server is known to hold (see the sync engine).
package enum OutboxMerge {
    /// The newest pending row of the record.
    package struct Pending: Hashable, Sendable {
        package var kind: OutboxEntry.Kind
        package var inFlight: Bool
        package var isConditional: Bool

        package init(kind: OutboxEntry.Kind, inFlight: Bool, isConditional: Bool) {
            self.kind = kind
            self.inFlight = inFlight
            self.isConditional = isConditional
        }
    }

    /// What the enqueue does.
    package enum Decision: Hashable, Sendable {
        /// Appends a new row of this kind; pending rows stay as they are.
        case append(OutboxEntry.Kind)
        /// Replaces the newest pending row's kind and values with these (it keeps its place).
        case replace(OutboxEntry.Kind)
        /// Removes the newest pending row and appends nothing.
        case cancel
    }

    /// The decision for a new write of `kind` (`isConditional`: it carries a condition), given the
    /// record's newest pending row `newest`, if any.
    package static func decide(_ kind: OutboxEntry.Kind, isConditional: Bool, newest: Pending?) -> Decision {
        guard let newest, !newest.inFlight, !newest.isConditional, !isConditional else { return .append(kind) }
        switch (newest.kind, kind) {
        case (.create, .delete): return .cancel
        case (.create, .update): return .replace(.create)
        case (.delete, .create), (.delete, .update): return .replace(.update)
        case (.update, .delete), (.delete, .delete): return .replace(.delete)
        case (_, let kind): return .replace(kind)
        }
    }
}
