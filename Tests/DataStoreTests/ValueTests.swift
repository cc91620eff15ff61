import BlogModels
import DataStoreTestSupport
import DataStoreTesting
import Foundation
import Testing

@testable import DataStore

@Suite("Field values")
struct FieldValueTests {
    @Test("strings are equal and hash equal only when their UTF-8 bytes are")
    func byteEquality() {
        let composed: FieldValue = "é"
        let decomposed: FieldValue = "e\u{301}"
        #expect("é" == "e\u{301}")  // Swift's String ==, for contrast
        #expect(composed != decomposed)
        #expect(Set([composed, decomposed]).count == 2)
        #expect(FieldValue.compareUTF8("Z", "a") == .less)
        #expect(FieldValue.compareUTF8("a", "ab") == .less)
        #expect(FieldValue.compareUTF8("\u{FFFF}", "😀") == .less)
    }

    @Test("numbers compare exactly across Int and Double")
    func numericComparison() {
        #expect(FieldValue.compare(.int(2), .double(2)) == .equal)
        #expect(FieldValue.compare(.int(2), .double(2.5)) == .less)
        #expect(FieldValue.compare(.double(-0.5), .int(0)) == .less)
        #expect(FieldValue.compare(.int(Int.max), .double(9.3e18)) == .less)
        #expect(FieldValue.compare(.int(9_007_199_254_740_993), .double(9_007_199_254_740_992)) == .greater)
        #expect(FieldValue.compare(.string("1"), .int(1)) == nil)
    }

    static let jsonValues: [FieldValue] = [
        .null, true, false, 0, -42, .int(Int.max), 1.5, -0.25, 1e300, "", "plain", "quote\" back\\slash",
        "control\u{1}\n\t", "ünïcødé 😀 \u{10FFFF}", [], [1, "two", .null, [3.5]], [:],
        ["a": 1, "b": ["c": [true, false]], "ü": "x"],
    ]

    @Test("JSON round-trips every kind of value", arguments: jsonValues)
    func jsonRoundTrip(value: FieldValue) throws {
        #expect(try FieldValue(jsonText: value.jsonText) == value)
    }

    @Test("JSON writing is canonical: sorted keys, no spaces, doubles keep a fraction")
    func canonicalJSON() {
        let value: FieldValue = ["b": 1, "a": [2.0, "x"]]
        #expect(value.jsonText == #"{"a":[2.0,"x"],"b":1}"#)
    }

    @Test("JSON strings escape only what must be, between runs of any other characters")
    func jsonEscapes() {
        let value: FieldValue = "a\"é\n😀\\b\u{1}\u{1F}\t\r\u{08}\u{0C}end"
        #expect(value.jsonText == #""a\"é\n😀\\b\u0001\u001f\t\r\b\fend""#)
        let plain: FieldValue = "mutation M {\n  createPost\n}"
        #expect(plain.jsonText == #""mutation M {\n  createPost\n}""#)
    }

    @Test("durations convert to whole milliseconds and nanoseconds, saturating instead of trapping")
    func durationUnits() {
        #expect(Duration.milliseconds(1_500).milliseconds == 1_500)
        #expect(Duration.nanoseconds(1_999_999).milliseconds == 1)
        #expect(Duration.nanoseconds(-1_999_999).milliseconds == -1)
        #expect(Duration.seconds(2).nanoseconds == 2_000_000_000)
        #expect(Duration.seconds(Int64.max).milliseconds == .max)
        #expect(Duration.seconds(Int64.min).nanoseconds == .min)
        #expect(Duration.seconds(9_223_372_036).nanoseconds == 9_223_372_036_000_000_000)
        #expect((Duration.seconds(9_223_372_036) + .milliseconds(999)).nanoseconds == .max)
    }

    @Test("JSON parsing accepts escapes and white space")
    func jsonParsing() throws {
        let parsed = try FieldValue(jsonText: #" { "a" : [ 1 , -2.5e1, "\u00e9\ud83d\ude00\/" ] , "b":null } "#)
        #expect(parsed == ["a": [1, -25.0, "é😀/"], "b": .null])
    }

    @Test(
        "malformed JSON is refused with the position of the problem",
        arguments: [
            ("", 0), ("{", 1), ("[1,]", 3), ("01", 1), ("\"abc", 4), ("{\"a\" 1}", 5), ("tru", 0), ("[1] x", 4),
            ("\"\\ud800\"", 7), ("1e999", 0), (String(repeating: "[", count: 600), 512),
        ]
    )
    func jsonErrors(text: String, offset: Int) {
        #expect {
            _ = try FieldValue(jsonText: text)
        } throws: { error in
            (error as? JSONParseError)?.offset == offset
        }
    }
}

@Suite("Temporal values")
struct TemporalTests {
    @Test(
        "AWSDateTime parses offsets and stores UTC with milliseconds",
        arguments: [
            ("2026-11-24T13:45:00Z", "2026-11-24T13:45:00.000Z"),
            ("2026-11-24T13:45:00.1Z", "2026-11-24T13:45:00.100Z"),
            ("2026-11-24T13:45:00.123456789Z", "2026-11-24T13:45:00.123Z"),
            ("2026-11-24T15:45:00+02:00", "2026-11-24T13:45:00.000Z"),
            ("2026-01-01T00:30:00+01:00", "2025-12-31T23:30:00.000Z"),
            ("2024-02-29T23:59:59.999-00:00", "2024-02-29T23:59:59.999Z"),
            ("1969-12-31T23:59:59.999Z", "1969-12-31T23:59:59.999Z"),
            ("0000-01-01T00:00:00Z", "0000-01-01T00:00:00.000Z"),
            ("9999-12-31T23:59:59.999Z", "9999-12-31T23:59:59.999Z"),
            ("2026-11-24t13:45:00z", "2026-11-24T13:45:00.000Z"),
        ]
    )
    func dateTimeParsing(text: String, stored: String) throws {
        #expect(try Temporal.DateTime(iso8601String: text).iso8601String == stored)
    }

    @Test(
        "malformed AWSDateTime values are refused",
        arguments: [
            "2026-11-24T13:45:00", "2026-11-24", "2026-02-30T00:00:00Z", "2026-11-24T24:00:00Z", "2026-11-24 13:45:00Z",
            "2026-11-24T13:45Z", "2026-11-24T13:45:00.Z", "2026-11-24T13:45:00+25:00", "20261124T134500Z", "",
            "0000-01-01T00:00:00+00:01", "2026-11-24T13:45:00Zjunk",
        ]
    )
    func dateTimeErrors(text: String) {
        #expect(throws: TemporalParseError.self) { try Temporal.DateTime(iso8601String: text) }
    }

    @Test("stored AWSDateTime text sorts in time order")
    func dateTimeOrder() {
        var random = SeededRandom(seed: 42)
        let values = (0..<2_000).map { _ in
            Temporal.DateTime(
                millisecondsSince1970: Int64.random(in: -62_167_219_200_000...253_402_300_799_999, using: &random)
            )!
        }
        let byTime = values.sorted().map(\.iso8601String)
        let byText = values.map(\.iso8601String).sorted { FieldValue.compareUTF8($0, $1) == .less }
        #expect(byTime == byText)
        for value in values.prefix(200) {
            #expect(try! Temporal.DateTime(iso8601String: value.iso8601String) == value)
        }
    }

    @Test("a Foundation date round-trips at millisecond precision")
    func foundationDates() {
        let date = Date(timeIntervalSince1970: 1_764_000_000.123_456)
        let value = Temporal.DateTime(date)
        #expect(value.millisecondsSince1970 == 1_764_000_000_123)
        #expect(Temporal.DateTime(value.foundationDate) == value)
        #expect(Temporal.Date(date).iso8601String == "2025-11-24")
    }

    @Test(
        "AWSDate and AWSTime",
        arguments: [
            ("2024-02-29", "2024-02-29"), ("2026-11-24Z", "2026-11-24Z"), ("2026-11-24-07:00", "2026-11-24-07:00"),
        ]
    )
    func dates(text: String, stored: String) throws {
        #expect(try Temporal.Date(iso8601String: text).iso8601String == stored)
    }

    @Test(
        "AWSTime forms",
        arguments: [
            ("13:45", "13:45:00.000"), ("13:45:30", "13:45:30.000"), ("13:45:30.5", "13:45:30.500"),
            ("23:59:59.999+05:30", "23:59:59.999+05:30"), ("00:00:00Z", "00:00:00.000Z"),
        ]
    )
    func times(text: String, stored: String) throws {
        #expect(try Temporal.Time(iso8601String: text).iso8601String == stored)
    }

    @Test("malformed AWSDate and AWSTime values are refused")
    func dateAndTimeErrors() {
        for text in ["2023-02-29", "2026-1-01", "2026-11-24T", "26-11-24", "2026-00-10"] {
            #expect(throws: TemporalParseError.self) { try Temporal.Date(iso8601String: text) }
        }
        for text in ["24:00", "13:60", "13", "13:45:61", "13:45:00.", "13:45+0"] {
            #expect(throws: TemporalParseError.self) { try Temporal.Time(iso8601String: text) }
        }
    }

    @Test("calendar arithmetic agrees with itself across eras")
    func civilDays() {
        for days in stride(from: -800_000, through: 3_000_000, by: 997) {
            let civil = ISO8601.civilFromDays(days)
            #expect(ISO8601.daysFromCivil(year: civil.year, month: civil.month, day: civil.day) == days)
        }
    }
}

@Suite("AWS scalar formats")
struct ScalarFormatTests {
    @Test("email addresses")
    func emails() {
        for valid in ["a@b", "first.last@example.com", "x+y@sub.example.co", "ü@exämple.de", "o'neil@example.com"] {
            #expect(ScalarFormat.emailProblem(valid) == nil, "\(valid)")
        }
        for invalid in [
            "", "a", "@b.com", "a@", ".a@b.com", "a..b@c.com", "a@-b.com", "a@b..com", "a b@c.com", "a@b_c.com",
        ] {
            #expect(ScalarFormat.emailProblem(invalid) != nil, "\(invalid)")
        }
    }

    @Test("URLs")
    func urls() {
        for valid in [
            "https://example.com", "http://a.b/c/d?e=f//g#h", "mailto:a@b.com", "urn:isbn:0451450523", "ftp://x:1/",
        ] {
            #expect(ScalarFormat.urlProblem(valid) == nil, "\(valid)")
        }
        for invalid in ["example.com", "://x", "1http://x", "https://", "https://x/a//b", "https://x y", "http:"] {
            #expect(ScalarFormat.urlProblem(invalid) != nil, "\(invalid)")
        }
    }

    @Test("phone numbers")
    func phones() {
        for valid in ["2065550100", "206-555-0100", "+1 206 555 0100", "+44 20 7946 0958"] {
            #expect(ScalarFormat.phoneProblem(valid) == nil, "\(valid)")
        }
        for invalid in ["", "+", "206--555", "(206) 555-0100", "12", "1234567890123456", "555-", "phone"] {
            #expect(ScalarFormat.phoneProblem(invalid) != nil, "\(invalid)")
        }
    }

    @Test("IP addresses")
    func ipAddresses() {
        for valid in [
            "0.0.0.0", "255.255.255.255/32", "::", "::1", "2001:db8::1/128", "fe80::1:2:3:4", "::ffff:10.0.0.1",
            "1:2:3:4:5:6:7:8",
        ] {
            #expect(ScalarFormat.ipAddressProblem(valid) == nil, "\(valid)")
        }
        for invalid in [
            "", "256.0.0.1", "1.2.3", "01.2.3.4", "1.2.3.4/33", "1::2::3", "1:2:3:4:5:6:7:8:9", "::1/129", "g::1",
            "1.2.3.4/",
        ] {
            #expect(ScalarFormat.ipAddressProblem(invalid) != nil, "\(invalid)")
        }
    }
}

@Suite("Temporal stored form")
struct TemporalStoredFormTests {
    @Test("the fast stored-form check agrees with parsing and formatting")
    func storedFormCheck() {
        var random = SeededRandom(seed: 7)
        for _ in 0..<5_000 {
            let value = Temporal.DateTime(
                millisecondsSince1970: Int64.random(in: -62_167_219_200_000...253_402_300_799_999, using: &random)
            )!
            #expect(Temporal.DateTime.isStoredForm(value.iso8601String))
        }
        for text in [
            "2026-11-24T13:45:00Z", "2026-11-24T13:45:00.000+00:00", "2026-02-29T00:00:00.000Z",
            "2026-11-24T24:00:00.000Z", "2026-11-24T13:45:00.0000", "2026-11-24 13:45:00.000Z",
            "2026-1a-24T13:45:00.000Z",
        ] {
            #expect(!Temporal.DateTime.isStoredForm(text), "\(text)")
        }
    }
}

@Suite("Stored forms of values from the wire")
struct StoredFormTests {
    @Test("integers for Floats and date-times in any ISO form take the stored form, inside lists and objects too")
    func storedForm() {
        let point = EmbeddedType(name: "Point", fields: [.required("x", .float), .optional("at", .dateTime)])
        #expect(FieldType.float.storedForm(of: 10) == .double(10))
        #expect(FieldType.dateTime.storedForm(of: "2026-05-01T14:00:00+02:00") == "2026-05-01T12:00:00.000Z")
        #expect(
            FieldType.list(of: .embedded(point), elementsRequired: true).storedForm(of: [
                ["x": 1, "at": "2026-05-01T12:00:00Z"]
            ])
                == [["x": .double(1), "at": "2026-05-01T12:00:00.000Z"]]
        )
        // What does not fit is left for validation to report.
        #expect(FieldType.dateTime.storedForm(of: "yesterday") == "yesterday")
        #expect(FieldType.int.storedForm(of: 1.5) == 1.5)
        #expect(FieldType.float.problem(with: FieldType.float.storedForm(of: 10), isRequired: true) == nil)
    }
}
