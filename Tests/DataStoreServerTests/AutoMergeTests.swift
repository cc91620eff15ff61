import DataStore
import Testing

@testable import DataStoreServer

@Suite("AUTOMERGE rules")
struct AutoMergeTests {
    @Test("server scalars win, missing and null values are filled, lists concatenate, objects merge")
    func rules() {
        let server: [String: FieldValue] = [
            "title": "server", "rating": .null, "tags": ["a"], "address": ["city": "Oslo", "zip": .null],
        ]
        let incoming: [String: FieldValue] = [
            "title": "client", "rating": 5, "tags": ["b", "c"], "address": ["city": "Bergen", "zip": "0150"],
            "note": "new", "cleared": .null,
        ]
        #expect(
            AutoMerge.merge(server: server, incoming: incoming) == [
                "title": "server", "rating": 5, "tags": ["a", "b", "c"], "address": ["city": "Oslo", "zip": "0150"],
                "note": "new", "cleared": .null,
            ]
        )
        // Nothing incoming: the server's item as it is.
        #expect(AutoMerge.merge(server: server, incoming: [:]) == server)
    }
}
