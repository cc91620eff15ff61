// The models of this module — Post, PostStatus, Comment and the AppModels registry — are generated
// at build time from schema.graphql by DataStoreModelGenPlugin. To see the generated code, run
// `swift run datastore-modelgen --schema Sources/BlogModels/schema.graphql --output /tmp/BlogModels`.

import DataStore

extension Post {
    /// Whether the post is published.
    public var isActive: Bool { status == .active }
}
