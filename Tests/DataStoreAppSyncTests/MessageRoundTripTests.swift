import DataStore
import DataStoreAppSync
import DataStoreTesting
import Testing

@Suite("Protocol messages round-trip")
struct MessageRoundTripTests {
    static let request = OperationRequest(
        query: "subscription S($filter: ModelSubscriptionPostFilterInput) { onCreatePost(filter: $filter) { id } }",
        variables: ["filter": ["rating": ["gt": 3]]],
        operationName: "S"
    )

    @Test("client → server: every message encodes and decodes to itself")
    func clientMessages() throws {
        let messages: [RealtimeClientMessage] = [
            .connectionInit,
            .start(id: "1", request: Self.request, authorization: ["host": "h", "x-api-key": "da2-k"]),
            .start(
                id: "b6d2-\"quoted\"",
                request: OperationRequest(query: "subscription { onDeletePost { id } }"),
                authorization: nil
            ),
            .stop(id: "1"),
            .unknown(type: "subscribe", id: "2"),
            .unknown(type: "ping", id: nil),
        ]
        for message in messages {
            #expect(try RealtimeClientMessage(text: message.text) == message, "\(message.text)")
        }
    }

    @Test("server → client: every message encodes and decodes to itself")
    func serverMessages() throws {
        let conflict = AppSyncError(
            .conflictUnhandled,
            "Conflict resolver rejects mutation.",
            data: ["id": "p1", "_version": 3],
            errorInfo: ["reason": "stale"],
            path: ["updatePost"],
            locations: [AppSyncError.Location(line: 1, column: 12)]
        )
        let messages: [RealtimeServerMessage] = [
            .connectionAck(connectionTimeoutMs: 300_000),
            .connectionError([AppSyncError(.unauthorized, "No key.", errorCode: 401)]),
            .keepAlive,
            .startAck(id: "1"),
            .data(id: "1", payload: ["data": ["onCreatePost": ["id": "p", "title": "Ünïcode \n"]]]),
            .error(id: "1", errors: [conflict, AppSyncError(nil, "Cannot query field \"nope\".")]),
            .error(id: nil, .unsupportedOperation, "m"),
            .complete(id: "1"),
            .unknown(type: "future", id: "3"),
        ]
        for message in messages {
            #expect(try RealtimeServerMessage(text: message.text) == message, "\(message.text)")
        }
        // The pre-rendered data frame is the same text as the data message.
        let payload: FieldValue = ["data": ["onCreatePost": ["id": "a\"b"]]]
        #expect(
            RealtimeServerMessage.dataFrame(id: "7", payloadJSON: payload.jsonText)
                == RealtimeServerMessage.data(id: "7", payload: payload).text
        )
    }

    @Test("server messages without what the protocol requires are refused, naming the problem")
    func malformedServerMessages() {
        for text in [
            #"{"type":"connection_ack"}"#,
            #"{"type":"start_ack"}"#,
            #"{"type":"data","id":"1","payload":"x"}"#,
            #"{"type":"error","id":"1","payload":{"errors":[{"errorType":"X"}]}}"#,
            #"{"type":"connection_error","payload":{}}"#,
            #"[1]"#,
            "",
        ] {
            #expect(throws: RealtimeProtocolError.self, "\(text)") { try RealtimeServerMessage(text: text) }
        }
    }

    @Test("requests, error objects and responses round-trip")
    func values() throws {
        #expect(try OperationRequest(Self.request.jsonValue) == Self.request)
        let plain = OperationRequest(query: "{ a }")
        #expect(try OperationRequest(plain.jsonValue) == plain)
        let error = AppSyncError(
            .conditionalCheckFailed,
            "The conditional request failed.",
            data: .null,
            path: ["createPost", 0]
        )
        // A null `data` reads as absent.
        var expected = error
        expected.data = nil
        #expect(try AppSyncError(decoding: error.jsonValue) == expected)
        let response = GraphQLResponse(data: ["createPost": .null], errors: [expected])
        #expect(try GraphQLResponse(decoding: response.jsonValue) == response)
        #expect(try GraphQLResponse(jsonText: response.jsonValue.jsonText) == response)
        #expect(throws: AppSyncResponseError.service([expected])) { try response.value(of: "createPost") }
        #expect(throws: AppSyncDecodingError.self) { try GraphQLResponse(jsonText: "{}") }
    }

    @Test("error types: every known name round-trips; AppSync's other spelling reads as the same type")
    func errorTypes() {
        let known: [AppSyncErrorType] = [
            .conflictUnhandled, .conditionalCheckFailed, .unauthorized, .notAuthorized, .badRequest, .invalidArguments,
            .executionTimeout, .internalFailure, .unsupportedOperation, .duplicatedOperation,
            .maxSubscriptionsReached, .limitExceeded, .connectionTimeout, .operationDisabled,
        ]
        #expect(Set(known.map(\.rawValue)).count == known.count)
        for type in known {
            #expect(AppSyncErrorType(rawValue: type.rawValue) == type)
            #expect(!type.rawValue.isEmpty)
        }
        #expect(AppSyncErrorType(rawValue: "DynamoDB:ConditionalCheckFailedException") == .conditionalCheckFailed)
        // Credentials refused and rules refusing are different answers (a new token helps one).
        #expect(AppSyncErrorType(rawValue: "Unauthorized") == .notAuthorized)
        #expect(AppSyncErrorType(rawValue: "Lambda:Unhandled") == .other("Lambda:Unhandled"))
        #expect(AppSyncErrorType(rawValue: "Lambda:Unhandled").rawValue == "Lambda:Unhandled")
    }

    @Test("handshake: each of the three forms carries the credentials the server reads back")
    func handshake() {
        let authorization = ["host": "example.com:443", "x-api-key": "k>>>???~~~3"]
        for form in RealtimeHandshake.Form.allCases {
            let upgrade = RealtimeHandshake.upgrade(authorization: authorization, form: form)
            #expect(upgrade.subprotocols.first == RealtimeHandshake.subprotocol)
            let read = RealtimeHandshake.authorization(
                query: upgrade.query,
                subprotocols: upgrade.subprotocols,
                headers: upgrade.headers
            )
            #expect(read == .object(authorization.mapValues { .string($0) }), "\(form)")
            #expect(RealtimeHandshake.apiKey(read) == "k>>>???~~~3")
        }
    }

    @Test("base64url: any bytes round-trip, padded or not, in either alphabet")
    func base64URL() {
        let seed = SeededRandom.seed(named: "base64URL")
        print("base64URL seed \(seed) (replay with DATASTORE_TEST_SEED=\(seed))")
        var generator = SeededRandom(seed: seed)
        for length in 0..<70 {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let encoded = Base64URL.encode(bytes)
            #expect(!encoded.contains("=") && !encoded.contains("+") && !encoded.contains("/"))
            #expect(Base64URL.decode(encoded) == bytes)
            #expect(Base64URL.decode(Base64URL.encodeStandard(bytes)) == bytes)
        }
        #expect(Base64URL.decode("!!") == nil)
    }
}
