import DataStore
import DataStoreSchema
import DataStoreServer
import DataStoreServerTesting
import DataStoreTesting
import Foundation
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

@Suite("DataStoreTesting")
struct TestServerTests {
    @Test("withTestServer serves the schema on a free loopback port and stops afterwards")
    func oneLine() async throws {
        let schema = "type Note @model { id: ID! text: String! }"
        let port = try await withTestServer(schema: schema) { server in
            #expect(server.endpoint == "http://127.0.0.1:\(server.port)/graphql")
            var request = URLRequest(url: URL(string: server.endpoint)!)
            request.httpMethod = "POST"
            request.setValue(server.apiKey, forHTTPHeaderField: "x-api-key")
            request.setValue("application/json", forHTTPHeaderField: "content-type")
            request.httpBody = Data(
                #"{"query": "mutation { createNote(input: {text: \"hi\"}) { text _version } }"}"#.utf8
            )
            let (data, response) = try await URLSession.shared.data(for: request)
            #expect((response as? HTTPURLResponse)?.statusCode == 200)
            let body = try FieldValue(jsonText: String(decoding: data, as: UTF8.self))
            #expect(body == ["data": ["createNote": ["text": "hi", "_version": 1]]])
            #expect(try await server.dataSource.list("Note").items.count == 1)
            return server.port
        }
        // Stopped: nothing listens on the port any more.
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/graphql")!)
        request.httpMethod = "POST"
        request.timeoutInterval = 5
        await #expect(throws: (any Error).self) { _ = try await URLSession.shared.data(for: request) }
    }

    @Test("a schema with errors is reported before anything starts")
    func badSchema() async {
        await #expect(throws: SchemaErrors.self) {
            try await withTestServer(schema: "type Note @model { id: ID! text: Strin }") { _ in }
        }
    }
}
