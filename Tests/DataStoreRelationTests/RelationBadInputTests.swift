import DataStoreTestSupport
import DataStoreTesting
import Foundation
import RelationModels
import Testing

@testable import DataStore

@Suite("Bad relation input gets a typed error and writes nothing")
struct RelationBadInputTests {
    @Test("a child whose required parent is not stored is refused", arguments: TemporaryStorage.allCases)
    func missingParent(kind: TemporaryStorage) async throws {
        try await withStore(kind, outboxEnabled: true) { store in
            let fixture = try await Fixture.make(in: store, posts: 1, comments: 0)
            let outbox = try await store.engine.outboxEntries().count
            var error = await expectDataStoreError(.relatedModelMissing) {
                try await store.save(Post(blogID: "no-such-blog", title: "t", rating: 1))
            }
            #expect(error?.model == "Post" && error?.field == "blog")
            #expect(error?.message.contains("no-such-blog") == true)
            // One bad child fails the whole batch.
            let batch = [
                Comment(post: fixture.posts[0], content: "fine"), Comment(postID: "gone", content: "orphan"),
            ]
            error = await expectDataStoreError(.relatedModelMissing) { try await store.save(batch) }
            #expect(error?.field == "post")
            #expect(try await store.count(Post.self) == 1)
            #expect(try await store.count(Comment.self) == 0)
            #expect(try await store.engine.outboxEntries().count == outbox)
        }
    }

    @Test("a required reference held in an optional key must be set")
    func nullRequiredKey() async throws {
        try await withStore(models: [Owner.self, Pet.self]) { store in
            let error = await expectDataStoreError(.relatedModelMissing) {
                try await store.save(Pet(id: "p", ownerID: nil))
            }
            #expect(error?.message.contains("ownerID") == true)
            try await store.save(Owner(id: "o"))
            try await store.save(Pet(id: "p", ownerID: "o"))
            #expect(try await store.count(Pet.self) == 1)
        }
    }

    @Test("a model that requires its own type: a batch may hold parent and child in any order")
    func selfRequired() async throws {
        try await withStore(models: [Node.self]) { store in
            // The root points at itself; the child comes first in the batch.
            try await store.save([Node(id: "child", parentID: "root"), Node(id: "root", parentID: "root")])
            #expect(try await store.count(Node.self) == 2)
            await expectDataStoreError(.relatedModelMissing) { try await store.save(Node(id: "x", parentID: "nope")) }
        }
    }

    @Test("a relation to a model the store does not have is refused at open, naming model and relation")
    func unknownModel() async throws {
        let error = await expectDataStoreError(.invalidSchema) {
            _ = try await DataStore(models: [Post.self, Comment.self, Tag.self, PostTags.self], storage: .inMemory)
        }
        #expect(error?.model == "Post" && error?.field == "blog")
        #expect(error?.message.contains("Blog") == true)
    }

    @Test("relations whose keys do not fit are refused at open")
    func mismatchedKeys() async throws {
        var error = await expectDataStoreError(.invalidSchema) {
            _ = try await DataStore(models: [Owner.self, Pet.self, BadPet.self], storage: .inMemory)
        }
        #expect(error?.model == "BadPet" && error?.field == "owner")
        #expect(error?.message.contains("cannot be equal") == true)
        error = await expectDataStoreError(.invalidSchema) {
            _ = try await DataStore(models: [Owner.self, Pet.self, MissingFieldPet.self], storage: .inMemory)
        }
        #expect(error?.message.contains("does not store") == true)
    }

    @Test("required references that form a cycle are refused at open")
    func requiredCycle() async throws {
        let error = await expectDataStoreError(.invalidSchema) {
            _ = try await DataStore(models: [Egg.self, Chicken.self], storage: .inMemory)
        }
        #expect(error?.message.contains("form a cycle") == true)
        #expect(error?.message.contains("Egg.chicken") == true && error?.message.contains("Chicken.egg") == true)
    }

    @Test("a key field left empty is refused", arguments: TemporaryStorage.allCases)
    func emptyKey(kind: TemporaryStorage) async throws {
        try await withStore(kind) { store in
            var error = await expectDataStoreError(.invalidValue) {
                try await store.save(Customer(email: "", name: "nobody"))
            }
            #expect(error?.model == "Customer" && error?.field == "email")
            let customer = try await store.save(Customer(email: "c@example.com", name: "C"))
            error = await expectDataStoreError(.invalidValue) {
                try await store.save(Order(customerEmail: "", number: 1, total: 1))
            }
            #expect(error?.field == "customerEmail")
            _ = customer
            #expect(try await store.count(Order.self) == 0)
            #expect(try await store.count(Customer.self) == 1)
        }
    }

    @Test("two models with the same composite key in one batch are refused", arguments: TemporaryStorage.allCases)
    func duplicateKeys(kind: TemporaryStorage) async throws {
        try await withStore(kind) { store in
            let customer = try await store.save(Customer(email: "c@example.com", name: "C"))
            let error = await expectDataStoreError(.duplicateIdentifier) {
                try await store.save([
                    Order(customer: customer, number: 1, total: 1),
                    Order(customer: customer, number: 2, total: 1),
                    Order(customer: customer, number: 1, total: 99),
                ])
            }
            #expect(error?.model == "Order")
            #expect(error?.message.contains("c@example.com#1") == true)
            #expect(try await store.count(Order.self) == 0)
        }
    }
}

// MARK: Hand-written models for schemas modelgen would refuse or that the generated set lacks

struct Owner: Model, Hashable {
    var id: String
    static let schema = ModelSchema(
        name: "Owner",
        fields: [.required("id", .id)],
        relations: [ModelRelation(name: "pets", kind: .hasMany, relatedModel: "Pet", relatedFields: ["ownerID"])]
    )
    static func fieldName(for keyPath: PartialKeyPath<Owner>) -> String? { keyPath == \Owner.id ? "id" : nil }
    init(id: String) { self.id = id }
    init(fieldValues values: FieldValues) throws(FieldValueError) { id = try values.decode(0) }
    var fieldValues: [FieldValue] { [id.fieldValue] }
}

/// A pet that must have an owner, though its key field is optional.
struct Pet: Model, Hashable {
    var id: String
    var ownerID: String?
    static let schema = ModelSchema(
        name: "Pet",
        fields: [.required("id", .id), .optional("ownerID", .id)],
        relations: [
            ModelRelation(
                name: "owner",
                kind: .belongsTo,
                relatedModel: "Owner",
                localFields: ["ownerID"],
                isRequired: true
            )
        ]
    )
    static func fieldName(for keyPath: PartialKeyPath<Pet>) -> String? { nil }
    init(id: String, ownerID: String?) {
        self.id = id
        self.ownerID = ownerID
    }
    init(fieldValues values: FieldValues) throws(FieldValueError) {
        id = try values.decode(0)
        ownerID = try values.decode(1)
    }
    var fieldValues: [FieldValue] { [id.fieldValue, ownerID.fieldValue] }
}

/// A pet whose owner key is an Int, which can never equal an owner's ID.
struct BadPet: Model {
    static let schema = ModelSchema(
        name: "BadPet",
        fields: [.required("id", .id), .optional("ownerID", .int)],
        relations: [ModelRelation(name: "owner", kind: .belongsTo, relatedModel: "Owner", localFields: ["ownerID"])]
    )
    static func fieldName(for keyPath: PartialKeyPath<BadPet>) -> String? { nil }
    init(fieldValues values: FieldValues) throws(FieldValueError) {}
    var fieldValues: [FieldValue] { [] }
}

/// A pet whose relation names a key field it does not have.
struct MissingFieldPet: Model {
    static let schema = ModelSchema(
        name: "MissingFieldPet",
        fields: [.required("id", .id)],
        relations: [ModelRelation(name: "owner", kind: .belongsTo, relatedModel: "Owner", localFields: ["ownerID"])]
    )
    static func fieldName(for keyPath: PartialKeyPath<MissingFieldPet>) -> String? { nil }
    init(fieldValues values: FieldValues) throws(FieldValueError) {}
    var fieldValues: [FieldValue] { [] }
}

/// A node that must have a parent node.
struct Node: Model {
    var id: String
    var parentID: String
    static let schema = ModelSchema(
        name: "Node",
        fields: [.required("id", .id), .required("parentID", .id)],
        relations: [
            ModelRelation(
                name: "parent",
                kind: .belongsTo,
                relatedModel: "Node",
                localFields: ["parentID"],
                isRequired: true
            )
        ]
    )
    static func fieldName(for keyPath: PartialKeyPath<Node>) -> String? { nil }
    init(id: String, parentID: String) {
        self.id = id
        self.parentID = parentID
    }
    init(fieldValues values: FieldValues) throws(FieldValueError) {
        id = try values.decode(0)
        parentID = try values.decode(1)
    }
    var fieldValues: [FieldValue] { [id.fieldValue, parentID.fieldValue] }
}

/// Each requires the other: neither could be saved first.
struct Egg: Model {
    static let schema = ModelSchema(
        name: "Egg",
        fields: [.required("id", .id), .required("chickenID", .id)],
        relations: [
            ModelRelation(
                name: "chicken",
                kind: .belongsTo,
                relatedModel: "Chicken",
                localFields: ["chickenID"],
                isRequired: true
            )
        ]
    )
    static func fieldName(for keyPath: PartialKeyPath<Egg>) -> String? { nil }
    init(fieldValues values: FieldValues) throws(FieldValueError) {}
    var fieldValues: [FieldValue] { [] }
}

struct Chicken: Model {
    static let schema = ModelSchema(
        name: "Chicken",
        fields: [.required("id", .id), .required("eggID", .id)],
        relations: [
            ModelRelation(name: "egg", kind: .hasOne, relatedModel: "Egg", localFields: ["eggID"], isRequired: true)
        ]
    )
    static func fieldName(for keyPath: PartialKeyPath<Chicken>) -> String? { nil }
    init(fieldValues values: FieldValues) throws(FieldValueError) {}
    var fieldValues: [FieldValue] { [] }
}
