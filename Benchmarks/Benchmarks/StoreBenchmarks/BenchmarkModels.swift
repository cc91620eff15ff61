import DataStore
import Foundation
import GRDB

/// The models the benchmarks store, written the way datastore-modelgen generates models.
enum BenchStatus: String, ModelEnum {
    case active = "ACTIVE"
    case inactive = "INACTIVE"
}

struct BenchPost: Model {
    var id: String
    var title: String
    var rating: Int
    var status: BenchStatus
    var createdAt: Temporal.DateTime?
    private var _relations = RelationContext()

    static let schema = ModelSchema(
        name: "Post",
        fields: [
            .required("id", .id), .required("title", .string), .required("rating", .int),
            .required("status", .enumeration(EnumType(name: "PostStatus", values: ["ACTIVE", "INACTIVE"]))),
            .optional("createdAt", .dateTime),
        ],
        relations: [
            ModelRelation(name: "comments", kind: .hasMany, relatedModel: "Comment", relatedFields: ["postID"])
        ]
    )

    var comments: RelatedModels<BenchComment> { Self.comments.all(of: self) }
    static let comments = relation("comments", to: BenchComment.self)
    var relationContext: RelationContext { _relations }

    static func fieldName(for keyPath: PartialKeyPath<BenchPost>) -> String? {
        switch keyPath {
        case \BenchPost.id: "id"
        case \BenchPost.title: "title"
        case \BenchPost.rating: "rating"
        case \BenchPost.status: "status"
        case \BenchPost.createdAt: "createdAt"
        default: nil
        }
    }

    init(id: String, title: String, rating: Int, status: BenchStatus, createdAt: Temporal.DateTime?) {
        self.id = id
        self.title = title
        self.rating = rating
        self.status = status
        self.createdAt = createdAt
    }

    init(fieldValues values: FieldValues) throws(FieldValueError) {
        id = try values.decode(0)
        title = try values.decode(1)
        rating = try values.decode(2)
        status = try values.decode(3)
        createdAt = try values.decode(4)
        _relations = values.context
    }

    var fieldValues: [FieldValue] {
        [id.fieldValue, title.fieldValue, rating.fieldValue, status.fieldValue, createdAt.fieldValue]
    }

    /// The same decoding, by hand from a GRDB row: what raw-SQLite code would do.
    init(row: Row) throws {
        id = row[0]
        title = row[1]
        rating = row[2]
        status = BenchStatus(rawValue: row[3])!
        let createdAtText: String? = row[4]
        createdAt = try createdAtText.map { try Temporal.DateTime(iso8601String: $0) }
    }

    var rawArguments: StatementArguments {
        [id, title, rating, status.rawValue, createdAt?.iso8601String]
    }

    static let insertSQL =
        "INSERT INTO \"Post\" (\"id\",\"title\",\"rating\",\"status\",\"createdAt\") VALUES (?,?,?,?,?)"

    static func make(_ index: Int, prefix: String = "p") -> BenchPost {
        BenchPost(
            id: "\(prefix)\(index)",
            title: "Post number \(index) about Swift",
            rating: index % 10,
            status: index % 3 == 0 ? .inactive : .active,
            createdAt: Temporal.DateTime(millisecondsSince1970: 1_764_000_000_000 + Int64(index))
        )
    }
}

struct BenchComment: Model {
    var id: String
    var postID: String
    var content: String
    private var _relations = RelationContext()

    static let schema = ModelSchema(
        name: "Comment",
        fields: [.required("id", .id), .required("postID", .id), .required("content", .string)],
        indexes: [ModelIndex(name: "byPost", fields: ["postID"])],
        relations: [ModelRelation(name: "post", kind: .belongsTo, relatedModel: "Post", localFields: ["postID"])]
    )

    var relationContext: RelationContext { _relations }

    static func fieldName(for keyPath: PartialKeyPath<BenchComment>) -> String? {
        switch keyPath {
        case \BenchComment.id: "id"
        case \BenchComment.postID: "postID"
        case \BenchComment.content: "content"
        default: nil
        }
    }

    init(id: String, postID: String, content: String) {
        self.id = id
        self.postID = postID
        self.content = content
    }

    init(fieldValues values: FieldValues) throws(FieldValueError) {
        id = try values.decode(0)
        postID = try values.decode(1)
        content = try values.decode(2)
        _relations = values.context
    }

    var fieldValues: [FieldValue] { [id.fieldValue, postID.fieldValue, content.fieldValue] }

    init(row: Row) {
        id = row[0]
        postID = row[1]
        content = row[2]
    }
}
