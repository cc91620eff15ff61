public import DataStore
public import Foundation

// Hand-written models for the seed schema, in the shape datastore-modelgen generates:
//
//   enum PostStatus { ACTIVE INACTIVE }
//   type Post @model {
//     id: ID!
//     title: String!
//     rating: Int!
//     status: PostStatus!
//     comments: [Comment] @hasMany(indexName: "byPost", fields: ["id"])
//   }
//   type Comment @model {
//     id: ID!
//     postID: ID! @index(name: "byPost")
//     post: Post @belongsTo(fields: ["postID"])
//     content: String!
//   }

/// The status of a post.
public enum PostStatus: String, ModelEnum {
    case active = "ACTIVE"
    case inactive = "INACTIVE"

    public static let enumType = EnumType(name: "PostStatus", values: allCases.map(\.rawValue))
}

/// A blog post.
public struct Post: Model, Equatable {
    public var id: String
    public var title: String
    public var rating: Int
    public var status: PostStatus
    public var createdAt: Temporal.DateTime?
    public var updatedAt: Temporal.DateTime?

    public init(
        id: String = UUID().uuidString,
        title: String,
        rating: Int,
        status: PostStatus,
        createdAt: Temporal.DateTime? = nil,
        updatedAt: Temporal.DateTime? = nil
    ) {
        self.id = id
        self.title = title
        self.rating = rating
        self.status = status
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    public static let schema = ModelSchema(
        name: "Post",
        fields: [
            .required("id", .id),
            .required("title", .string),
            .required("rating", .int),
            .required("status", .enumeration(PostStatus.enumType)),
            .optional("createdAt", .dateTime, isReadOnly: true),
            .optional("updatedAt", .dateTime, isReadOnly: true),
        ]
    )

    public static func fieldName(for keyPath: PartialKeyPath<Post>) -> String? {
        switch keyPath {
        case \Post.id: "id"
        case \Post.title: "title"
        case \Post.rating: "rating"
        case \Post.status: "status"
        case \Post.createdAt: "createdAt"
        case \Post.updatedAt: "updatedAt"
        default: nil
        }
    }

    public init(fieldValues values: FieldValues) throws(FieldValueError) {
        id = try values.decode(0)
        title = try values.decode(1)
        rating = try values.decode(2)
        status = try values.decode(3)
        createdAt = try values.decode(4)
        updatedAt = try values.decode(5)
    }

    public var fieldValues: [FieldValue] {
        [
            id.fieldValue, title.fieldValue, rating.fieldValue, status.fieldValue, createdAt.fieldValue,
            updatedAt.fieldValue,
        ]
    }
}

/// A comment on a post.
public struct Comment: Model, Equatable {
    public var id: String
    public var postID: String
    public var content: String

    public init(id: String = UUID().uuidString, postID: String, content: String) {
        self.id = id
        self.postID = postID
        self.content = content
    }

    public static let schema = ModelSchema(
        name: "Comment",
        fields: [.required("id", .id), .required("postID", .id), .required("content", .string)],
        indexes: [ModelIndex(name: "byPost", fields: ["postID"])]
    )

    public static func fieldName(for keyPath: PartialKeyPath<Comment>) -> String? {
        switch keyPath {
        case \Comment.id: "id"
        case \Comment.postID: "postID"
        case \Comment.content: "content"
        default: nil
        }
    }

    public init(fieldValues values: FieldValues) throws(FieldValueError) {
        id = try values.decode(0)
        postID = try values.decode(1)
        content = try values.decode(2)
    }

    public var fieldValues: [FieldValue] { [id.fieldValue, postID.fieldValue, content.fieldValue] }
}

/// The models of the blog example.
public enum BlogModels: ModelRegistry {
    public static let models: [any Model.Type] = [Post.self, Comment.self]
}
