import DataStore
import DataStoreAppSync
import Synchronization

/// The items one request may still read (``DocumentLimits/maximumItems``): the executor's context,
/// spent by every resolver that returns a page.
///
/// A document's size does not bound its answer: a hundred aliases of `listPosts(limit: 1000)`, or
/// a thousand posts each with their comments, are a few hundred bytes that read and render a
/// hundred thousand items. Counting the items as they are read stops such a request at the field
/// that passes the budget.
final class ItemBudget: Sendable {
    let limit: Int
    private let spent = Atomic(0)

    init(limit: Int) {
        self.limit = limit
    }

    /// Takes `count` items from the budget.
    ///
    /// - Throws: `AppSyncError` (`BadRequestException`, with `errorInfo`) when the request has
    ///   read more than ``limit`` items with these.
    func spend(_ count: Int) throws(AppSyncError) {
        let total = spent.add(count, ordering: .relaxed).newValue
        guard total > limit else { return }
        throw AppSyncError(
            .badRequest,
            "The request reads more than \(limit) items (DocumentLimits.maximumItems); ask for fewer fields or "
                + "smaller pages, and page on with nextToken.",
            errorInfo: ["limit": "maximumItems", "allowed": .int(limit), "found": .int(total)]
        )
    }
}
