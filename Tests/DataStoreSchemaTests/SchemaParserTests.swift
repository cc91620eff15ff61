import DataStore
import DataStoreSchema
import Foundation
import Testing

@Suite("What the parser adds, as the Amplify transformer does")
struct SchemaParserTests {
    func fields(_ model: ModelSchema) -> [String] {
        model.fields.map { "\($0.name):\($0.type.graphQLName)\($0.isRequired ? "!" : "")" }
    }

    @Test("implicit id and timestamps; @model(timestamps:) renames or removes them")
    func implicitFields() throws {
        let document = try SchemaParser.parse(
            """
            type A @model { name: String }
            type B @model(timestamps: null) { id: ID! }
            type C @model(timestamps: {createdAt: "createdOn", updatedAt: null}) { id: ID! }
            type D @model { id: ID! createdAt: AWSDateTime! }
            """
        )
        #expect(
            fields(document.model(named: "A")!.schema) == [
                "id:ID!", "name:String", "createdAt:AWSDateTime", "updatedAt:AWSDateTime",
            ]
        )
        #expect(document.model(named: "A")!.fields.first?.origin == .implicitID)
        #expect(fields(document.model(named: "B")!.schema) == ["id:ID!"])
        #expect(fields(document.model(named: "C")!.schema) == ["id:ID!", "createdOn:AWSDateTime"])
        #expect(
            fields(document.model(named: "D")!.schema) == ["id:ID!", "createdAt:AWSDateTime!", "updatedAt:AWSDateTime"]
        )
        #expect(document.model(named: "A")!.schema.fields[2].isReadOnly)
    }

    @Test("fields @auth rules name are added when not declared: owners as String, dynamic groups as [String]")
    func authFields() throws {
        let document = try SchemaParser.parse(
            """
            type Note @model @auth(rules: [{allow: owner}, {allow: owner, ownerField: "editors"}, {allow: groups, groupsField: "readers"}]) {
              id: ID!
              editors: [String]
            }
            type Custom @model @auth(rules: [{allow: owner, ownerField: "author"}]) { id: ID!, author: String! }
            type Employee @model @auth(rules: [{allow: groups, groups: ["Admins"]}]) {
              id: ID!
              ssn: String @auth(rules: [{allow: owner, ownerField: "person"}])
            }
            """
        )
        let note = try #require(document.model(named: "Note"))
        #expect(
            fields(note.schema) == [
                "id:ID!", "editors:[String]", "createdAt:AWSDateTime", "updatedAt:AWSDateTime", "owner:String",
                "readers:[String]",
            ]
        )
        #expect(note.fields.map(\.origin).suffix(2) == [.authRule, .authRule])
        // Declared owner fields stay as declared.
        #expect(fields(document.model(named: "Custom")!.schema).contains("author:String!"))
        #expect(document.model(named: "Custom")!.fields.allSatisfy { $0.origin != .authRule })
        // A field's own rules add their owner field to the model.
        #expect(fields(document.model(named: "Employee")!.schema).last == "person:String")
    }

    @Test("primary keys and indexes: @primaryKey, @index, v1 @key")
    func keys() throws {
        let document = try SchemaParser.parse(
            """
            type Order @model {
              customerId: ID! @primaryKey(sortKeyFields: ["createdAt"])
              createdAt: AWSDateTime!
              status: String @index(name: "byStatus", sortKeyFields: "createdAt")
              region: String @index(sortKeyFields: ["status"])
            }
            type Book @model @key(fields: ["isbn"]) @key(name: "byAuthor", fields: ["author", "title"]) {
              isbn: ID!
              author: String!
              title: String!
            }
            """
        )
        let order = document.model(named: "Order")!.schema
        #expect(order.primaryKey == ["customerId", "createdAt"])
        // A single string where a list is expected; a default name for an unnamed index.
        #expect(
            order.indexes == [
                ModelIndex(name: "byStatus", fields: ["status", "createdAt"]),
                ModelIndex(name: "byRegionAndStatus", fields: ["region", "status"]),
            ]
        )
        let book = document.model(named: "Book")!.schema
        #expect(book.primaryKey == ["isbn"])
        #expect(book.indexes == [ModelIndex(name: "byAuthor", fields: ["author", "title"])])
        #expect(!book.fields.contains { $0.name == "id" })
    }

    @Test("v2 relations get the keys and names amplify-swift's generated models have")
    func v2Relations() throws {
        let document = try SchemaParser.parse(
            try Corpus.source("amplify-swift__AmplifyTestCommon__Models__TransformerV2__schema.graphql")
        )
        func model(_ name: String) -> ModelSchema { document.model(named: name)!.schema }
        // Has one, implicit: the parent stores project1V2TeamId.
        #expect(fields(model("Project1V2")).last == "project1V2TeamId:ID")
        #expect(
            model("Project1V2").relations == [
                ModelRelation(name: "team", kind: .hasOne, relatedModel: "Team1V2", localFields: ["project1V2TeamId"])
            ]
        )
        // Has many, implicit: the child stores post3aV2CommentsId, indexed.
        #expect(fields(model("Comment3aV2")).last == "post3aV2CommentsId:ID")
        #expect(
            model("Comment3aV2").indexes == [ModelIndex(name: "gsi-Post3aV2.comments", fields: ["post3aV2CommentsId"])]
        )
        // Has many through an index, with the belongs-to side's fields.
        #expect(model("Post4V2").relations.first?.relatedFields == ["postID"])
        #expect(model("Post4V2").relations.first?.index == "byPost4")
        #expect(
            model("Comment4V2").relations.first
                == ModelRelation(
                    name: "post",
                    kind: .belongsTo,
                    relatedModel: "Post4V2",
                    localFields: ["postID"],
                    inverse: "comments"
                )
        )
        // Has one + belongs to, implicit: each side has its own key.
        #expect(fields(model("Project4aV2")).last == "project4aV2TeamId:ID")
        #expect(fields(model("Team4aV2")).last == "team4aV2ProjectId:ID")
        // Has many + belongs to, implicit: they share the has-many key.
        #expect(model("Post7V2").relations.first { $0.name == "blog" }?.localFields == ["blog7V2PostsId"])
        #expect(model("Blog7V2").relations.first?.relatedFields == ["blog7V2PostsId"])
        #expect(model("Blog7V2").relations.first?.inverse == "blog")
        // Many to many: a join model with one key per side.
        let join = document.model(named: "PostEditor5V2")!
        #expect(join.isGenerated)
        #expect(
            fields(join.schema) == [
                "id:ID!", "post5V2Id:ID!", "user5V2Id:ID!", "createdAt:AWSDateTime", "updatedAt:AWSDateTime",
            ]
        )
        #expect(join.schema.relations.map(\.kind) == [.belongsTo, .belongsTo])
        #expect(
            model("Post5V2").relations.first
                == ModelRelation(
                    name: "editors",
                    kind: .hasMany,
                    relatedModel: "PostEditor5V2",
                    relatedFields: ["post5V2Id"],
                    inverse: "post5V2"
                )
        )
    }

    @Test("composite keys give one relation key per primary key field")
    func compositeKeyRelations() throws {
        let document = try SchemaParser.parse(
            """
            type Post @model {
              id: ID! @primaryKey(sortKeyFields: ["title"])
              title: String!
              comments: [Comment] @hasMany
            }
            type Comment @model { id: ID! }
            """
        )
        let comment = document.model(named: "Comment")!.schema
        #expect(fields(comment).suffix(2) == ["postCommentsId:ID", "postCommentsTitle:String"])
        #expect(comment.indexes.first?.fields == ["postCommentsId", "postCommentsTitle"])
    }

    @Test("references: keys declared on the child, on both sides")
    func references() throws {
        let document = try SchemaParser.parse(
            """
            type Team @model {
              id: ID!
              members: [Member] @hasMany(references: ["teamId"])
            }
            type Member @model {
              id: ID!
              teamId: ID
              team: Team @belongsTo(references: ["teamId"])
            }
            """
        )
        #expect(document.model(named: "Team")!.schema.relations.first?.relatedFields == ["teamId"])
        #expect(
            document.model(named: "Member")!.schema.relations.first
                == ModelRelation(
                    name: "team",
                    kind: .belongsTo,
                    relatedModel: "Team",
                    localFields: ["teamId"],
                    inverse: "members"
                )
        )
        #expect(throws: SchemaErrors.self) {
            try SchemaParser.parse(
                "type Team @model { id: ID! members: [Member] @hasMany(references: [\"teamId\"]) }\ntype Member @model { id: ID! teamId: ID }"
            )
        }
    }

    @Test("v1 @connection: named, keyed, keyField and unnamed")
    func v1Connections() throws {
        let document = try SchemaParser.parse(
            """
            type Post @model {
              id: ID!
              comments: [Comment] @connection(name: "PostComments")
              byKey: [Comment] @connection(keyName: "byPost", fields: ["id"])
              notes: [Note] @connection
            }
            type Comment @model @key(name: "byPost", fields: ["postId", "content"]) {
              id: ID!
              postId: ID!
              content: String!
              post: Post @connection(name: "PostComments")
            }
            type Note @model { id: ID! }
            """
        )
        let post = document.model(named: "Post")!.schema
        #expect(post.relations.map(\.relatedFields) == [["commentPostId"], ["postId"], ["postNotesId"]])
        #expect(post.relations.map(\.index) == [nil, "byPost", nil])
        let comment = document.model(named: "Comment")!.schema
        #expect(comment.relations.first?.localFields == ["commentPostId"])
        #expect(comment.relations.first?.inverse == "comments")
        #expect(fields(document.model(named: "Note")!.schema).last == "postNotesId:ID")
    }

    @Test("non-model types become embedded types; custom operations and inputs are kept for the server")
    func typeKinds() throws {
        let document = try SchemaParser.parse(
            """
            type Address { street: String! city: String! }
            type Person @model { id: ID! home: Address work: [Address!] }
            input PersonInput { name: String }
            type Query { search(text: String): [Person] }
            type Stats { count: Int people: [Person] }
            """
        )
        #expect(document.nonModels.map(\.embeddedType.name) == ["Address"])
        #expect(
            document.model(named: "Person")!.schema.field(named: "work")?.type
                == .list(of: .embedded(document.nonModels[0].embeddedType), elementsRequired: true)
        )
        #expect(Set(document.serverOnlyTypes) == ["Query", "Stats", "PersonInput"])
    }

    @Test("the version hash ignores formatting, comments and descriptions")
    func versionHash() throws {
        let a = try SchemaParser.parse("type Post @model { id: ID! title: String }")
        let b = try SchemaParser.parse(
            "# A comment\n\"Posts.\"\ntype   Post   @model {\n  id: ID!\n  \"The title\"\n  title: String\n}\n"
        )
        let c = try SchemaParser.parse("type Post @model { id: ID! title: String! }")
        #expect(a.versionHash == b.versionHash)
        #expect(a.versionHash != c.versionHash)
    }

    @Test("non-model types that contain themselves are storable: finite, equal by shape, one version hash")
    func typesThatContainThemselves() throws {
        let sdl = try String(
            contentsOf: Build.root.appending(path: "Tests/CorpusModels/Recursive/schema.graphql"),
            encoding: .utf8
        )
        let document = try SchemaParser.parse(sdl)
        #expect(document.serverOnlyTypes.isEmpty)
        let types = Dictionary(uniqueKeysWithValues: document.nonModels.map { ($0.embeddedType.name, $0.embeddedType) })
        let node = try #require(types["Node"])
        let comment = try #require(types["Comment"])
        #expect(node.fields.map(\.name) == ["label", "children", "parent", "note"])
        // The fields refer to the types themselves, however deep one goes.
        #expect(node.fields[1].type == .list(of: .embedded(node), elementsRequired: true))
        #expect(node.fields[2].type == .embedded(node))
        #expect(node.fields[3].type == .embedded(comment))
        guard case .embedded(let about) = comment.fields[2].type else {
            Issue.record("Comment.about is \(comment.fields[2].type)")
            return
        }
        #expect(about == node && about.fields[3].type == .embedded(comment))
        #expect(Set([node, about]).count == 1 && node != comment)

        // Two readings of the schema are equal models with one version hash; a change deep in a
        // cycle changes the hash.
        let again = try SchemaParser.parse(sdl)
        #expect(again.models.map(\.schema) == document.models.map(\.schema))
        let hash = SchemaVersion.hash(of: document.models.map(\.schema))
        #expect(SchemaVersion.hash(of: again.models.map(\.schema)) == hash)
        let changed = try SchemaParser.parse(sdl.replacingOccurrences(of: "text: String", with: "text: String!"))
        #expect(SchemaVersion.hash(of: changed.models.map(\.schema)) != hash)
        #expect(changed.models.map(\.schema) != document.models.map(\.schema))

        // A value is checked however deep it goes, and the message says where.
        let value: FieldValue = ["label": "a", "children": [["label": "b", "parent": ["label": 5]]]]
        let problem = try #require(FieldType.embedded(node).problem(with: value, isRequired: true))
        #expect(problem.contains("children") && problem.contains("parent") && problem.contains("label"))
        #expect(
            FieldType.embedded(node).problem(with: ["label": "a", "children": [["label": "b"]]], isRequired: true)
                == nil
        )

        // A type that reaches an unstorable one is still not storable, cycle or not.
        let mixed = try SchemaParser.parse(
            """
            type Owner @model { id: ID! }
            type Loop { next: Loop owner: Owner }
            type Holder @model { id: ID! name: String }
            """
        )
        #expect(mixed.nonModels.isEmpty && mixed.serverOnlyTypes.contains("Loop"))
    }
}
