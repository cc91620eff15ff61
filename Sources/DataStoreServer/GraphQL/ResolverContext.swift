import DataStore

/// What the resolvers of one request share: the executor's context.
final class ResolverContext: Sendable {
    /// The items the request may still read.
    let budget: ItemBudget
    /// Set while a ``ResponsePlan``'s skeleton runs: the root field's resolver keeps its value
    /// here instead of returning it.
    let capture: ResponseCapture?
    /// Set when the executor answers a planned mutation whose skeleton already wrote: the item
    /// written, which the mutation's resolver returns instead of writing again.
    let written: FieldValue?
    /// Who asks; the `@auth` rules decide what it may read and write. Nil: the server itself.
    let caller: Caller?

    init(budget: ItemBudget, caller: Caller?, capture: ResponseCapture? = nil, written: FieldValue? = nil) {
        self.budget = budget
        self.caller = caller
        self.capture = capture
        self.written = written
    }
}
