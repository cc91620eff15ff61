import CorpusSwiftNames
import DataStore
import DataStoreTestSupport
import DataStoreTesting
import Testing

/// The generated code of a schema whose names Swift reserves: the Swift spellings are the
/// documented ones, and the store keeps the GraphQL names.
@Suite("Names Swift reserves")
struct SwiftNamesTests {
    @Test("keywords are backticked, unescapable names get an underscore, the wire names stay")
    func spellings() async throws {
        var item = Type_(
            class: "c",
            protocol: "p",
            default: 1,
            self__: "me",
            self_: "me too",
            Type__: true,
            Protocol__: 2.5,
            fieldValues_: "f",
            hashValue_: 3,
            relationContext_: "r",
            consume: "consume",
            in: ["a"],
            where: .self_,
            extension: Protocol_(class: "inner", self_: 1, fieldValue_: "v")
        )
        #expect(item.visibility == Visibility.self_)
        #expect(Visibility.allCases.map(\.rawValue).contains("self"))
        #expect(Visibility(rawValue: "allCases") == .allCases_)
        #expect(Visibility(rawValue: "inProgress") == .inProgress_)
        #expect(Visibility(rawValue: "IN_PROGRESS") == .inProgress)
        #expect(Type_.schema.name == "Type")
        #expect(Type_.schema.fields.map(\.name).contains("self"))
        try await withTestStore(.sqliteFile, models: CorpusSwiftNames.AppModels.models) { store in
            try await store.save(item)
            item.class = "changed"
            try await store.save(item, where: \.`class` == "c")
            let found = try await store.query(Type_.self, where: \.self__ == "me" && \.`default` == 1)
            #expect(found == [item])
            let owned = Model_(owner: item, return: "r", schema_: nil)
            try await store.save(owned)
            #expect(try await found[0].items.fetch().map(\.id) == [owned.id])
            #expect(try await store.query(Model_.self, where: Model_.owner.matching(\.`class` == "changed")).count == 1)
        }
    }
}
