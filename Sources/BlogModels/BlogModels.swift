// The models of this module — Post, PostStatus, Comment and the AppModels registry — are generated
// at build time from schema.graphql by DataStoreModelGenPlugin. To see the generated code, run
// `swift run datastore-modelgen --schema Sources/BlogModels/schema.graphql --output /tmp/BlogModels`.

import DataStore

extension Post {
    /// Whether the post is published.
    public var isActive: Bool { status == .active }
}

/// The schema the models are generated from, as `schema.graphql` holds it (a test keeps the two
/// equal): what a server for these models serves — the demo's in-process server, say.
public enum BlogSchema {
    /// The GraphQL SDL.
    public static let sdl = #"""
        # The seed schema: posts with a status, and their comments.

        enum PostStatus {
          ACTIVE
          INACTIVE
        }

        """
        A blog post.
        """
        type Post @model {
          id: ID!
          title: String!
          rating: Int!
          status: PostStatus!
          "The post's comments, loaded on demand."
          comments: [Comment] @hasMany(indexName: "byPost", fields: ["id"])
        }

        """
        A comment on a post.
        """
        type Comment @model {
          id: ID!
          postID: ID! @index(name: "byPost")
          post: Post @belongsTo(fields: ["postID"])
          content: String!
        }
        """#
}
