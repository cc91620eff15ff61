import DataStore
import DataStoreAppSync
import DataStoreSchema
import DataStoreServer
import Foundation
import GraphQL
import Testing

@Suite("The generated AppSync schema")
struct AppSyncSchemaTests {
    /// The schema of PROTOCOL §1's example.
    static let postSDL = """
        enum PostStatus { DRAFT PUBLISHED }
        type Post @model {
          id: ID!
          title: String!
          rating: Int!
          status: PostStatus!
        }
        """

    static func generate(_ sdl: String) throws -> AppSyncSchema {
        AppSyncSchema(try SchemaParser.parse(sdl))
    }

    /// The named types of a schema other than GraphQL's own, printed one by one.
    static func printedTypes(_ schema: GraphQLSchema) -> [String: String] {
        var types: [String: String] = [:]
        // (`map`, not `for in`: the map's iterator belongs to a module the tests do not import.)
        for (name, type) in schema.typeMap.map({ ($0.key, $0.value) }) where !name.hasPrefix("__") {
            if ["String", "Int", "Float", "Boolean", "ID"].contains(name) { continue }
            types[name] = printType(type: type)
        }
        return types
    }

    @Test("for PROTOCOL's Post, every type the transformer generates is generated identically")
    func matchesProtocol() throws {
        let fixture = try #require(Bundle.module.url(forResource: "Fixtures/post-schema", withExtension: "graphql"))
        let expected = Self.printedTypes(try buildSchema(source: String(contentsOf: fixture, encoding: .utf8)))
        let generated = try Self.generate(Self.postSDL)
        let ours = Self.printedTypes(try buildSchema(source: generated.sdl))
        for (name, type) in expected.sorted(by: { $0.key < $1.key }) {
            #expect(ours[name] == type, "type \(name) differs")
        }
        // Beyond the protocol's example, only AppSync's other built-in scalars are declared.
        let extra = Set(ours.keys).subtracting(expected.keys)
        #expect(extra == ["AWSDate", "AWSTime", "AWSEmail", "AWSJSON", "AWSURL", "AWSPhone", "AWSIPAddress"])
        let operations = try #require(generated.operations["Post"])
        #expect(
            [
                operations.get, operations.list, operations.sync, operations.create, operations.update,
                operations.delete, operations.onCreate, operations.onUpdate, operations.onDelete,
            ] == [
                "getPost", "listPosts", "syncPosts", "createPost", "updatePost", "deletePost", "onCreatePost",
                "onUpdatePost", "onDeletePost",
            ]
        )
    }

    @Test("relations, composite keys, lists and embedded types take the transformer's forms")
    func relationsAndKeys() throws {
        let generated = try Self.generate(
            """
            type Blog @model {
              id: ID!
              posts: [Post] @hasMany
              tags: [String!]
              address: Address
            }
            type Address { street: String! }
            type Post @model {
              id: ID!
              blog: Blog @belongsTo
            }
            type Order @model(subscriptions: null, mutations: { create: "createOrder", update: null, delete: "deleteOrder" }) {
              customerEmail: String! @primaryKey(sortKeyFields: ["number"])
              number: Int!
            }
            """
        )
        let types = Self.printedTypes(try buildSchema(source: generated.sdl))
        let blog = try #require(types["Blog"])
        #expect(
            blog.contains(
                "posts(filter: ModelPostFilterInput, sortDirection: ModelSortDirection, limit: Int, nextToken: String): ModelPostConnection"
            )
        )
        #expect(blog.contains("tags: [String!]") && blog.contains("address: Address"))
        let post = try #require(types["Post"])
        #expect(post.contains("blog: Blog") && post.contains("blogPostsId: ID"))
        // Non-model fields are not filterable; the list of strings filters as a string.
        let filter = try #require(types["ModelBlogFilterInput"])
        #expect(filter.contains("tags: ModelStringInput") && !filter.contains("address"))
        let query = try #require(types["Query"])
        #expect(query.contains("getOrder(customerEmail: String!, number: Int!): Order"))
        let delete = try #require(types["DeleteOrderInput"])
        #expect(delete.contains("customerEmail: String!") && delete.contains("number: Int!"))
        // Key fields are not conditions.
        let condition = try #require(types["ModelOrderConditionInput"])
        #expect(!condition.contains("customerEmail") && !condition.contains("number:"))
        let mutation = try #require(types["Mutation"])
        #expect(
            mutation.contains("createOrder(") && mutation.contains("deleteOrder(") && !mutation.contains("updateOrder(")
        )
        #expect(generated.operations["Order"]?.onCreate == nil)
        #expect(
            try #require(types["Subscription"]).contains("onCreateBlog(filter: ModelSubscriptionBlogFilterInput): Blog")
        )
    }

    @Test(
        "@model's queries, mutations and subscriptions rename operations or turn them off; the rest keep their defaults"
    )
    func customOperationNames() async throws {
        let sdl = """
            type Rename @model(
              queries: { get: "rename" }
              mutations: { create: "makeRename", delete: null }
              subscriptions: { onCreate: ["renameMade"] }
            ) {
              id: ID!
              name: String
            }
            """
        let generated = try Self.generate(sdl)
        let operations = try #require(generated.operations["Rename"])
        #expect(
            [
                operations.get, operations.list, operations.sync, operations.create, operations.update,
                operations.delete, operations.onCreate, operations.onUpdate, operations.onDelete,
            ] == [
                "rename", "listRenames", "syncRenames", "makeRename", "updateRename", nil, "renameMade",
                "onUpdateRename", nil,
            ]
        )
        let types = Self.printedTypes(try buildSchema(source: generated.sdl))
        #expect(types["Query"]?.contains("rename(id: ID!): Rename") == true)
        #expect(
            types["Subscription"]?.contains("renameMade(filter: ModelSubscriptionRenameFilterInput): Rename") == true
        )
        #expect(
            generated.sdl.contains(
                #"renameMade(filter: ModelSubscriptionRenameFilterInput): Rename @aws_subscribe(mutations: ["makeRename"])"#
            )
        )

        let dataSource = DataSource(document: try SchemaParser.parse(sdl), store: try SQLiteItemStore(path: nil))
        let api = try GraphQLAPI(dataSource: dataSource)
        let created = await api.execute(
            ["query": #"mutation { makeRename(input: {id: "r1", name: "a"}) { id _version } }"#]
        )
        #expect(created.response == ["data": ["makeRename": ["id": "r1", "_version": 1]]])
        let read = await api.execute(["query": #"{ rename(id: "r1") { name } }"#])
        #expect(read.response == ["data": ["rename": ["name": "a"]]])
        let refused = await api.execute(["query": #"mutation { deleteRename(input: {id: "r1"}) { id } }"#])
        #expect(refused.response["errors"] != nil)
    }

    /// The real-world schemas of `../shared/schemas`, as the schema tests' fixtures link them.
    static let corpusDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appending(path: "DataStoreSchemaTests/Fixtures/schemas")

    @Test("owner rules add the owner field to the type, inputs and filters, and an owner argument to each subscription")
    func ownerFields() throws {
        let api = AppSyncSchema(
            try SchemaParser.parse(
                """
                type Post @model @auth(rules: [{allow: owner}, {allow: owner, ownerField: "editors", operations: [read]},
                  {allow: owner, ownerField: "author", operations: [create]}]) {
                  id: ID!
                  title: String!
                  editors: [String]
                }
                """
            )
        )
        let sdl = api.sdl
        for line in [
            "  owner: String\n", "  author: String\n", "  editors: [String]\n",
            "onCreatePost(filter: ModelSubscriptionPostFilterInput, owner: String, editors: String): Post",
            "onDeletePost(filter: ModelSubscriptionPostFilterInput, owner: String, editors: String): Post",
        ] {
            #expect(sdl.contains(line), "\(line)")
        }
        #expect(api.subscriptionOwnerArguments["Post"] == ["owner", "editors"])
        // In the create input and the filters too, so that clients may set and filter by it.
        let createInput = try #require(sdl.range(of: "input CreatePostInput {"))
        #expect(sdl[createInput.upperBound...].prefix(200).contains("owner: String"))
        let filter = try #require(sdl.range(of: "input ModelPostFilterInput {"))
        #expect(sdl[filter.upperBound...].prefix(400).contains("owner: ModelStringInput"))
    }

    @Test("every corpus schema generates a schema a GraphQL engine accepts")
    func corpus() throws {
        let files = try FileManager.default.contentsOfDirectory(
            at: Self.corpusDirectory,
            includingPropertiesForKeys: nil
        )
        .filter { $0.pathExtension == "graphql" }
        #expect(files.count >= 40)
        for file in files {
            let document = try SchemaParser.parse(String(contentsOf: file, encoding: .utf8))
            let generated = AppSyncSchema(document)
            do {
                let schema = try buildSchema(source: generated.sdl)
                #expect(validateSchema(schema: schema).isEmpty, "\(file.lastPathComponent)")
                for model in document.models {
                    #expect(schema.getType(name: "Model\(model.schema.name)Connection") != nil)
                }
            } catch {
                Issue.record("\(file.lastPathComponent): \(error)")
            }
        }
    }
}
