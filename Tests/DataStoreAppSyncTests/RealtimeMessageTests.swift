import DataStore
import DataStoreAppSync
import Testing

@Suite("Real-time protocol messages")
struct RealtimeMessageTests {
    @Test("the start message gql sends (captured in PROTOCOL §6.3) is read with its request and authorization")
    func gqlStart() throws {
        let text = #"""
            {"id":"1","type":"start","payload":{"data":"{\"query\":\"subscription OnCreatePost($owner: String) {\\n  onCreatePost(owner: $owner) {\\n    id\\n  }\\n}\",\"variables\":{\"owner\":\"alice\"}}","extensions":{"authorization":{"host":"127.0.0.1:33951","x-api-key":"da2-localtestkey"}}}}
            """#
        let message = try RealtimeClientMessage(text: text)
        guard case .start(let id, let request, let authorization) = message else {
            Issue.record("not a start: \(message)")
            return
        }
        #expect(id == "1")
        #expect(
            request.query
                == "subscription OnCreatePost($owner: String) {\n  onCreatePost(owner: $owner) {\n    id\n  }\n}"
        )
        #expect(request.variables == ["owner": "alice"])
        #expect(RealtimeHandshake.apiKey(authorization) == "da2-localtestkey")
    }

    @Test("init, stop and unknown types; Swift's and JS's forms")
    func otherMessages() throws {
        #expect(try RealtimeClientMessage(text: #"{"type":"connection_init"}"#) == .connectionInit)
        #expect(try RealtimeClientMessage(text: #"{"type":"connection_init","payload":{}}"#) == .connectionInit)
        #expect(try RealtimeClientMessage(text: #"{"id":"6F1A","type":"stop"}"#) == .stop(id: "6F1A"))
        #expect(
            try RealtimeClientMessage(text: #"{"id":"2","type":"subscribe"}"#) == .unknown(type: "subscribe", id: "2")
        )
        let start = try RealtimeClientMessage(
            text:
                #"{"id":"u-1","type":"start","payload":{"data":"{\"query\":\"subscription { onDeletePost { id } }\",\"variables\":{}}"}}"#
        )
        #expect(
            start
                == .start(
                    id: "u-1",
                    request: OperationRequest(query: "subscription { onDeletePost { id } }"),
                    authorization: nil
                )
        )
    }

    @Test("malformed messages are refused with the subscription id when there is one")
    func malformed() {
        let cases: [(String, String?)] = [
            ("not json", nil), ("[1]", nil), (#"{"id":"3"}"#, "3"), (#"{"type":"stop"}"#, nil),
            (#"{"type":"start","payload":{}}"#, nil), (#"{"id":"4","type":"start"}"#, "4"),
            (#"{"id":"5","type":"start","payload":{"data":{"query":"x"}}}"#, "5"),
            (#"{"id":"6","type":"start","payload":{"data":"{\"variables\":{}}"}}"#, "6"),
            (#"{"id":"7","type":"start","payload":{"data":"not json"}}"#, "7"),
            (#"{"id":{"a":1},"type":"stop"}"#, nil),
        ]
        for (text, id) in cases {
            #expect(throws: RealtimeProtocolError.self, "\(text)") { try RealtimeClientMessage(text: text) }
            do {
                _ = try RealtimeClientMessage(text: text)
            } catch {
                #expect(error.id == id, "\(text)")
            }
        }
    }

    @Test("server messages have the shapes clients parse")
    func serverMessages() throws {
        func object(_ message: RealtimeServerMessage) throws -> FieldValue { try FieldValue(jsonText: message.text) }
        #expect(
            try object(.connectionAck(connectionTimeoutMs: 300_000)) == [
                "type": "connection_ack", "payload": ["connectionTimeoutMs": 300_000],
            ]
        )
        #expect(try object(.keepAlive) == ["type": "ka"])
        #expect(try object(.startAck(id: "1")) == ["id": "1", "type": "start_ack"])
        #expect(try object(.complete(id: "1")) == ["id": "1", "type": "complete"])
        #expect(
            try object(.data(id: "1", payload: ["data": ["onCreatePost": ["id": "p"]]]))
                == ["id": "1", "type": "data", "payload": ["data": ["onCreatePost": ["id": "p"]]]]
        )
        #expect(
            try object(.error(id: nil, .unsupportedOperation, "m"))
                == ["type": "error", "payload": ["errors": [["errorType": "UnsupportedOperation", "message": "m"]]]]
        )
        #expect(
            try object(.connectionError([AppSyncError(.unauthorized, "m", errorCode: 401)]))
                == [
                    "type": "connection_error",
                    "payload": ["errors": [["errorType": "UnauthorizedException", "message": "m", "errorCode": 401]]],
                ]
        )
    }

    @Test("handshake credentials in all three forms")
    func handshake() {
        // gql: the captured query string (PROTOCOL §6.2).
        let captured = RealtimeHandshake.authorization(
            query: "header=eyJob3N0IjoiMTI3LjAuMC4xOjMzOTUxIiwieC1hcGkta2V5IjoiZGEyLWxvY2FsdGVzdGtleSJ9&payload=e30=",
            subprotocols: ["graphql-ws"],
            headers: [:]
        )
        #expect(captured == ["host": "127.0.0.1:33951", "x-api-key": "da2-localtestkey"])
        // Raw standard base64 with `+` and `/`, which must not be read as a space.
        let raw = RealtimeHandshake.authorization(
            query: "header=eyJob3N0IjoiaCIsIngtYXBpLWtleSI6Ims+Pj4/Pz9+fn4zIn0=&payload=e30=",
            subprotocols: [],
            headers: [:]
        )
        #expect(RealtimeHandshake.apiKey(raw) == "k>>>???~~~3")
        // amplify-js: a base64url subprotocol without padding.
        let subprotocol = RealtimeHandshake.authorization(
            query: nil,
            subprotocols: ["graphql-ws", " header-eyJob3N0IjoiaCIsIngtYXBpLWtleSI6Ims-Pj4_Pz9-fn4zIn0"],
            headers: [:]
        )
        #expect(RealtimeHandshake.apiKey(subprotocol) == "k>>>???~~~3")
        // amplify-swift: plain headers.
        let headers = RealtimeHandshake.authorization(
            query: nil,
            subprotocols: ["graphql-ws"],
            headers: ["host": "h", "x-api-key": "da2-k", "x-amz-date": "20260501T000000Z"]
        )
        #expect(headers == ["host": "h", "x-api-key": "da2-k", "x-amz-date": "20260501T000000Z"])
        // Nothing usable.
        #expect(
            RealtimeHandshake.authorization(query: "header=%%%", subprotocols: ["header-!!"], headers: ["host": "h"])
                == nil
        )
    }

    @Test("a data frame built around a rendered payload is the data message's text")
    func dataFrame() {
        let payload: FieldValue = ["data": ["onCreatePost": ["id": "a\"b", "title": "Ünïcode \n"]]]
        for id in ["1", "5e2a-\"quoted\"", ""] {
            #expect(
                RealtimeServerMessage.dataFrame(id: id, payloadJSON: payload.jsonText)
                    == RealtimeServerMessage.data(id: id, payload: payload).text
            )
        }
    }
}
