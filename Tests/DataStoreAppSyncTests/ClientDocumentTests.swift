import DataStore
import DataStoreAppSync
import DataStoreSchema
import DataStoreServer
import Foundation
import GraphQL
import Testing

@Suite("Client documents against the server's schemas")
struct ClientDocumentTests {
    /// The real-world schemas of `../shared/schemas`, as the schema tests' fixtures hold them.
    static let corpusDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appending(path: "DataStoreSchemaTests/Fixtures/schemas")

    /// Every document a client sends for every model of `document`, validated against the schema
    /// the server generates; returns how many were checked.
    static func validateDocuments(of document: SchemaDocument, name: String) throws -> Int {
        let generated = AppSyncSchema(document)
        let schema = try buildSchema(source: generated.sdl)
        var checked = 0
        for model in document.models {
            let names = ModelOperationNames(
                schema: model.schema,
                queries: model.options.queries,
                mutations: model.options.mutations,
                subscriptions: model.options.subscriptions
            )
            // Client and server agree on the names.
            #expect(generated.operations[model.schema.name] == names, "\(name) \(model.schema.name)")
            let documents = ModelDocuments(schema: model.schema, names: names)
            var texts = [documents.syncQuery] + [documents.getQuery].compactMap(\.self)
            for kind in [MutationKind.created, .updated, .deleted] {
                if let mutation = documents.mutation(kind) { texts.append(mutation) }
                if let subscription = documents.subscription(kind) { texts.append(subscription) }
                #expect((documents.mutation(kind) == nil) == (names.mutation(kind) == nil))
            }
            for text in texts {
                let errors = validate(schema: schema, ast: try parse(source: Source(body: text, name: name)))
                #expect(errors.isEmpty, "\(name) \(model.schema.name): \(errors.map(\.message))\n\(text)")
                // Within the server's default selection depth (12), types that contain themselves
                // included: the deepest field sits inside as many braces as its depth.
                var (braces, deepest) = (0, 0)
                for character in text where character == "{" || character == "}" {
                    braces += character == "{" ? 1 : -1
                    deepest = max(deepest, braces)
                }
                #expect(deepest <= 12, "\(name) \(model.schema.name): selection depth \(deepest)")
                checked += 1
            }
        }
        return checked
    }

    @Test("every document of every model of every corpus schema validates against the server's schema")
    func corpus() throws {
        let files = try FileManager.default.contentsOfDirectory(
            at: Self.corpusDirectory,
            includingPropertiesForKeys: nil
        )
        .filter { $0.pathExtension == "graphql" }
        #expect(files.count >= 40)
        // And the corpus schemas of names Swift reserves and of types that contain themselves,
        // which the generated-code tests compile.
        let corpusModels = Self.corpusDirectory.deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appending(path: "CorpusModels")
        let ownSchemas = ["SwiftNames", "Recursive"].map { corpusModels.appending(path: "\($0)/schema.graphql") }
        var checked = 0
        for file in files + ownSchemas {
            do {
                let document = try SchemaParser.parse(String(contentsOf: file, encoding: .utf8))
                checked += try Self.validateDocuments(of: document, name: file.lastPathComponent)
            } catch {
                Issue.record("\(file.lastPathComponent): \(error)")
            }
        }
        #expect(checked > 500)
    }

    @Test("values nested deeper than the selection are found, with their path")
    func unselectedValues() throws {
        let url = Self.corpusDirectory.deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appending(path: "CorpusModels/Recursive/schema.graphql")
        let document = try SchemaParser.parse(String(contentsOf: url, encoding: .utf8))
        let folder = try #require(document.models.first { $0.schema.name == "Folder" }).schema
        let documents = ModelDocuments(schema: folder)
        /// A record whose `root` is a chain of `levels` nodes through `children`; the last one's
        /// children are `last`.
        func record(_ levels: Int, last: FieldValue = .null) -> [FieldValue] {
            var node: FieldValue = ["label": "deepest", "children": last]
            for _ in 1..<levels { node = ["label": "n", "children": [["label": "x"], node]] }
            return folder.fields.map { field in
                switch field.name {
                case "id": "f"
                case "name": "a"
                case "root": node
                default: .null
                }
            }
        }
        let limit = ModelDocuments.recursionLimit
        #expect(documents.unselectedPath(in: record(limit + 1)) == nil)
        #expect(
            documents.unselectedPath(in: record(limit + 2))
                == "root" + String(repeating: ".children[1]", count: limit) + ".children"
        )
        // An empty list past the limit would come back as nothing: it is reported too.
        #expect(
            documents.unselectedPath(in: record(limit + 1, last: []))
                == "root" + String(repeating: ".children[1]", count: limit) + ".children"
        )
        // A model without such types has nothing left out, whatever its values.
        let post = try SchemaParser.parse("type Post @model { id: ID!, tags: [String] }").models[0].schema
        #expect(ModelDocuments(schema: post).unselectedPath(in: ["p", ["a"]]) == nil)
    }

    @Test("a sync filter becomes a subscription filter when its input can say it, and nil when not")
    func subscriptionFilters() throws {
        let model = try SchemaParser.parse(
            """
            enum Status { ACTIVE, INACTIVE }
            type Note { text: String }
            type Post @model {
              id: ID!, title: String!, rating: Int, score: Float, done: Boolean, status: Status,
              tags: [String], note: Note, at: AWSTimestamp
            }
            """
        ).models[0].schema
        let documents = ModelDocuments(schema: model)
        let said: [FieldValue] = [
            ["rating": ["ge": 4]],
            ["title": ["beginsWith": "a"], "status": ["eq": "ACTIVE"]],
            ["or": [["done": ["eq": true]], ["and": [["score": ["between": [1.0, 2.0]]], ["id": ["ne": "x"]]]]]],
            ["at": ["lt": 5], "title": ["notContains": "b", "in": ["c", "d"]]],
        ]
        for filter in said { #expect(documents.subscriptionFilter(from: filter) == filter, "\(filter)") }
        let unsaid: [FieldValue] = [
            ["not": ["rating": ["ge": 4]]],
            ["rating": ["attributeExists": true]],
            ["title": ["size": ["eq": 2]]],
            ["rating": ["contains": 4]],
            ["done": ["gt": false]],
            ["tags": ["contains": "a"]],
            ["note": ["eq": "{}"]],
            ["missing": ["eq": 1]],
            ["or": [["rating": ["ge": 4]], ["not": ["done": ["eq": true]]]]],
            ["and": []],
            [:],
            ["rating": [:]],
        ]
        for filter in unsaid { #expect(documents.subscriptionFilter(from: filter) == nil, "\(filter)") }
    }

    @Test("renamed and disabled operations: documents follow @model's arguments")
    func overrides() throws {
        let document = try SchemaParser.parse(
            """
            type Rename @model(queries: {get: "rename", list: null}, mutations: {create: "makeRename", delete: null},
                               subscriptions: {onCreate: ["madeRename"]}) {
              id: ID!
              name: String
            }
            type Quiet @model(subscriptions: null) { id: ID! }
            """
        )
        #expect(try Self.validateDocuments(of: document, name: "overrides") == 11)
        let rename = try #require(document.models.first)
        let names = ModelOperationNames(
            schema: rename.schema,
            queries: rename.options.queries,
            mutations: rename.options.mutations,
            subscriptions: rename.options.subscriptions
        )
        #expect(names.get == "rename" && names.list == nil && names.sync == "syncRenames")
        #expect(names.create == "makeRename" && names.update == "updateRename" && names.delete == nil)
        #expect(names.onCreate == "madeRename" && names.onUpdate == "onUpdateRename" && names.onDelete == nil)
        let documents = ModelDocuments(schema: rename.schema, names: names)
        #expect(documents.mutationRequest(.deleted, values: ["id": "r"], version: 1) == nil)
        // An answer for an operation the model turned off is refused, naming it.
        #expect(
            throws: AppSyncResponseError.malformed(AppSyncDecodingError("Rename has no deleted mutation.", at: "data"))
        ) { try documents.mutationResult(.deleted, GraphQLResponse(data: [:])) }
        let create = try #require(documents.mutationRequest(.created, values: ["id": "r", "name": "a"], version: nil))
        #expect(create.variables == ["input": ["id": "r", "name": "a"]])
    }

    @Test("mutation inputs: read-only timestamps left out, deletes send the key, versions and conditions")
    func mutationInputs() throws {
        let document = try SchemaParser.parse(
            """
            type Order @model {
              customer: String! @primaryKey(sortKeyFields: ["number"])
              number: Int!
              note: String
            }
            """
        )
        let documents = ModelDocuments(schema: try #require(document.models.first).schema)
        let values: [String: FieldValue] = [
            "customer": "c", "number": 7, "note": "n", "createdAt": "2026-01-01T00:00:00.000Z",
        ]
        let update = try #require(
            documents.mutationRequest(.updated, values: values, version: 4, condition: ["note": ["eq": "n"]])
        )
        #expect(
            update.variables == [
                "input": ["customer": "c", "number": 7, "note": "n", "_version": 4],
                "condition": ["note": ["eq": "n"]],
            ]
        )
        let delete = try #require(documents.mutationRequest(.deleted, values: values, version: 5))
        #expect(delete.variables == ["input": ["customer": "c", "number": 7, "_version": 5]])
        let sync = documents.syncRequest(limit: 100, nextToken: "t", lastSync: 1_700_000_000_000)
        #expect(sync.variables == ["limit": 100, "nextToken": "t", "lastSync": 1_700_000_000_000])
    }

    @Test("decoding items: stored forms, tombstones need only their key, bad values name their path")
    func items() throws {
        let document = try SchemaParser.parse(
            """
            type Event @model {
              id: ID!
              title: String!
              score: Float
              at: AWSDateTime
            }
            """
        )
        let schema = try #require(document.models.first).schema
        let item = try RemoteItem(
            decoding: [
                "id": "e", "title": "t", "score": 3, "at": "2026-12-07T10:00:00+01:00", "_version": 2,
                "_deleted": .null, "_lastChangedAt": 1_700_000_000_000, "__typename": "Event",
            ],
            schema: schema,
            path: "data.getEvent"
        )
        let values = Dictionary(uniqueKeysWithValues: zip(schema.fields.map(\.name), item.values))
        #expect(values["score"] == .double(3))
        #expect(values["at"] == "2026-12-07T09:00:00.000Z")
        #expect(try RemoteItem(decoding: item.jsonValue(schema: schema), schema: schema, path: "x") == item)

        let tombstone = try RemoteItem(
            decoding: ["id": "e", "_version": 3, "_deleted": true, "_lastChangedAt": 1],
            schema: schema,
            path: "p"
        )
        #expect(tombstone.isDeleted)
        do {
            _ = try RemoteItem(
                decoding: ["id": "e", "title": 5, "_version": 1, "_lastChangedAt": 1],
                schema: schema,
                path: "data.syncEvents.items[0]"
            )
            Issue.record("a number for a String decoded")
        } catch {
            #expect(error.path == "data.syncEvents.items[0].title")
        }
        #expect(throws: AppSyncDecodingError.self) {
            try RemoteItem(decoding: ["id": "e", "title": "t", "_lastChangedAt": 1], schema: schema, path: "p")
        }
        let page = SyncPage(items: [item, tombstone], nextToken: "n", startedAt: 9)
        #expect(try SyncPage(decoding: page.jsonValue(schema: schema), schema: schema, path: "p") == page)
    }
}
