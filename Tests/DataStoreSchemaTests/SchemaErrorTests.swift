import DataStoreSchema
import Testing

@Suite("Schema errors carry line:column and a hint")
struct SchemaErrorTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let label: String
        let schema: String
        /// `line:column: ` followed by the start of the message.
        let expected: String
        var testDescription: String { label }
    }

    static let cases: [Case] = [
        Case(
            label: "syntax error",
            schema: "type Post @model {\n  id: ID!\n  title String\n}",
            expected: "3:9: GraphQL syntax error"
        ),
        Case(
            label: "unknown type",
            schema: "type Post @model {\n  id: ID!\n  author: Writer\n}",
            expected: "3:11: unknown type Writer for Post.author"
        ),
        Case(
            label: "unknown directive",
            schema: "type Post @model @cached {\n  id: ID!\n}",
            expected: "1:18: unknown directive @cached on Post"
        ),
        Case(
            label: "directive in the wrong place",
            schema: "type Post @model {\n  id: ID! @model\n}",
            expected: "2:11: @model cannot be used on fields"
        ),
        Case(
            label: "unknown directive argument",
            schema: "type Post @model {\n  id: ID!\n  slug: String @index(name: \"bySlug\", sortKey: [\"x\"])\n}",
            expected: "3:39: @index has no argument named sortKey"
        ),
        Case(
            label: "malformed directive argument",
            schema: "type Post @model {\n  id: ID! @primaryKey(sortKeyFields: 42)\n}",
            expected: "2:23: @primaryKey(sortKeyFields:) must be a string or a list of strings, not 42"
        ),
        Case(
            label: "missing directive argument",
            schema: "type Post @model {\n  id: ID!\n  tags: [Tag] @manyToMany\n}\ntype Tag @model { id: ID! }",
            expected: "3:15: @manyToMany needs the argument relationName"
        ),
        Case(
            label: "relation to a missing field",
            schema:
                "type Post @model {\n  id: ID!\n}\ntype Comment @model {\n  id: ID!\n  post: Post @belongsTo(fields: [\"postID\"])\n}",
            expected: "6:25: @belongsTo on Comment.post names postID, which is not a field of Comment"
        ),
        Case(
            label: "relation to a missing index",
            schema:
                "type Post @model {\n  id: ID!\n  comments: [Comment] @hasMany(indexName: \"byPost\", fields: [\"id\"])\n}\ntype Comment @model {\n  id: ID!\n  postID: ID!\n}",
            expected: "3:32: @hasMany on Post.comments names the index byPost, which Comment does not have"
        ),
        Case(
            label: "relation to a type that is not a model",
            schema: "type Post @model {\n  id: ID!\n  author: Author @belongsTo\n}\ntype Author { name: String }",
            expected: "3:18: @belongsTo on Post.author needs a field whose type is a @model type"
        ),
        Case(
            label: "model field without a relation directive",
            schema: "type Post @model {\n  id: ID!\n  comments: [Comment]\n}\ntype Comment @model { id: ID! }",
            expected: "3:3: Post.comments has the model type Comment but no relation directive"
        ),
        Case(
            label: "one-sided many-to-many",
            schema:
                "type Post @model {\n  id: ID!\n  tags: [Tag] @manyToMany(relationName: \"PostTags\")\n}\ntype Tag @model { id: ID! }",
            expected: "3:3: @manyToMany(relationName: \"PostTags\") must appear on exactly two fields"
        ),
        Case(
            label: "model without a primary key",
            schema: "type Post @model {\n  id: ID\n  title: String\n}",
            expected: "2:3: Post has no primary key: its id field is ID, not ID!"
        ),
        Case(
            label: "optional primary key field",
            schema: "type Post @model {\n  slug: String @primaryKey\n}",
            expected: "2:16: the primary key field Post.slug must be a required single value"
        ),
        Case(
            label: "primary key sort field that does not exist",
            schema: "type Post @model {\n  slug: String! @primaryKey(sortKeyFields: [\"date\"])\n}",
            expected: "2:17: the primary key of Post names date, which is not a field of Post"
        ),
        Case(
            label: "duplicate type",
            schema: "type Post @model {\n  id: ID!\n}\ntype Post { title: String }",
            expected: "4:1: the type Post is defined twice"
        ),
        Case(
            label: "duplicate field",
            schema: "type Post @model {\n  id: ID!\n  title: String\n  title: String\n}",
            expected: "4:3: Post declares the field title twice"
        ),
        Case(
            label: "duplicate enum value",
            schema: "enum Status { ACTIVE ACTIVE }\ntype Post @model { id: ID! status: Status }",
            expected: "1:22: the enum Status lists ACTIVE twice"
        ),
        Case(
            label: "duplicate index",
            schema:
                "type Post @model {\n  id: ID!\n  a: String @index(name: \"byX\")\n  b: String @index(name: \"byX\")\n}",
            expected: "4:13: Post has two indexes named byX"
        ),
        Case(
            label: "sync metadata name",
            schema: "type Post @model {\n  id: ID!\n  _version: Int\n}",
            expected: "3:3: the field Post._version uses a name the sync protocol reserves"
        ),
        Case(
            label: "bad @default value",
            schema: "type Post @model {\n  id: ID!\n  rating: Int @default(value: \"high\")\n}",
            expected: "3:24: @default(value: \"high\") does not fit Post.rating: expected an integer"
        ),
        Case(
            label: "wrong number of key fields",
            schema:
                "type Post @model {\n  slug: String! @primaryKey(sortKeyFields: [\"date\"])\n  date: String!\n}\ntype Comment @model {\n  id: ID!\n  slug: String!\n  post: Post @belongsTo(fields: [\"slug\"])\n}",
            expected: "8:25: @belongsTo(fields:) on Comment.post lists 1 field(s), but Post's primary key has 2"
        ),
        Case(
            label: "more @hasMany fields than the index has",
            schema:
                "type Post @model {\n  id: ID!\n  title: String!\n  comments: [Comment] @hasMany(indexName: \"byPost\", fields: [\"id\", \"title\"])\n}\ntype Comment @model {\n  id: ID!\n  postID: ID! @index(name: \"byPost\")\n}",
            expected: "4:53: @hasMany on Post.comments lists 2 fields but the index byPost has 1"
        ),
        Case(
            label: "more v1 @connection fields than the key has",
            schema:
                "type Post @model {\n  id: ID!\n  title: String!\n  comments: [Comment] @connection(keyName: \"byPost\", fields: [\"id\", \"title\"])\n}\ntype Comment @model @key(name: \"byPost\", fields: [\"postID\"]) {\n  id: ID!\n  postID: ID!\n}",
            expected: "4:54: @connection on Post.comments lists 2 fields but the key byPost has 1"
        ),
        Case(
            label: "bad @auth rule",
            schema: "type Post @model @auth(rules: [{allow: everyone}]) {\n  id: ID!\n}",
            expected: "1:24: @auth allow: everyone is not one of owner, groups, private, public, custom"
        ),
    ]

    @Test("each problem is reported at its exact position", arguments: cases)
    func reported(_ testCase: Case) {
        do {
            _ = try SchemaParser.parse(testCase.schema)
            Issue.record("no error for \(testCase.label)")
        } catch {
            let lines = error.errors.map(\.description)
            #expect(
                lines.contains { $0.hasPrefix(testCase.expected) },
                "\(testCase.label): got\n\(lines.joined(separator: "\n"))"
            )
            #expect(error.errors.allSatisfy { $0.line >= 1 && $0.column >= 1 })
        }
    }

    @Test("errors that have an obvious fix carry a hint")
    func hints() throws {
        do {
            _ = try SchemaParser.parse(
                "type Post @model {\n  id: ID!\n  comments: [Comment]\n}\ntype Comment @model { id: ID! }"
            )
        } catch {
            #expect(error.errors.first?.hint == "add @hasOne, @hasMany, @belongsTo or @manyToMany (or v1 @connection)")
        }
    }

    @Test("all problems are reported at once, in source order")
    func allAtOnce() {
        do {
            _ = try SchemaParser.parse("type Post @model {\n  id: ID!\n  a: Unknown\n  b: Missing @cached\n}")
        } catch {
            #expect(error.errors.map { "\($0.line):\($0.column)" } == ["3:6", "4:6", "4:14"])
        }
    }

    @Test("ignored directives are accepted and noted")
    func ignoredDirectivesAreNoted() throws {
        let document = try SchemaParser.parse(
            "type Post @model @searchable {\n  id: ID!\n  summary: String @function(name: \"summarize\")\n}"
        )
        #expect(
            document.notes.map(\.description) == [
                "1:18: note: @searchable on Post configures AWS resources and is ignored by swift-datastore",
                "3:19: note: @function on Post.summary configures AWS resources and is ignored by swift-datastore",
            ]
        )
    }
}
