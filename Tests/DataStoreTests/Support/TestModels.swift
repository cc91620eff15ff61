import BlogModels
import DataStore
import Foundation

extension Post {
    /// Not a stored field: predicates on it must fail with unknownField.
    var shout: String { title.uppercased() }

    /// The post as the backend would return it, with `createdAt` set (the property is read-only:
    /// only decoding sets it).
    func created(at date: Temporal.DateTime) -> Post {
        var values = fieldValues
        values[Post.schema.fieldIndex(named: "createdAt")!] = date.fieldValue
        return try! Post(fieldValues: FieldValues(values))
    }
}

/// An embedded (non-model) type.
struct Address: EmbeddedModel {
    var street: String
    var city: String
    var zip: String?

    static let embeddedType = EmbeddedType(
        name: "Address",
        fields: [.required("street", .string), .required("city", .string), .optional("zip", .string)]
    )

    init(street: String, city: String, zip: String? = nil) {
        self.street = street
        self.city = city
        self.zip = zip
    }

    init(fieldValue: FieldValue) throws(FieldValueError) {
        street = try fieldValue.member("street")
        city = try fieldValue.member("city")
        zip = try fieldValue.member("zip")
    }

    var fieldValue: FieldValue {
        .object(["street": street.fieldValue, "city": city.fieldValue, "zip": zip.fieldValue])
    }
}

/// A model with a field of every AppSync scalar, optional and required, plus lists and an
/// embedded type.
struct Everything: Model, Equatable {
    var id: String = UUID().uuidString
    var name: String = "everything"
    var count: Int?
    var amount: Double?
    var flag: Bool?
    var day: Temporal.Date?
    var time: Temporal.Time?
    var moment: Temporal.DateTime?
    var timestamp: Int?
    var email: String?
    var json: String?
    var url: String?
    var phone: String?
    var ip: String?
    var status: PostStatus?
    var tags: [String]?
    var scores: [Int]?
    var address: Address?
    var addresses: [Address]?

    static let schema = ModelSchema(
        name: "Everything",
        pluralName: "Everythings",
        fields: [
            .required("id", .id),
            .required("name", .string),
            .optional("count", .int),
            .optional("amount", .float),
            .optional("flag", .boolean),
            .optional("day", .date),
            .optional("time", .time),
            .optional("moment", .dateTime),
            .optional("timestamp", .timestamp),
            .optional("email", .email),
            .optional("json", .json),
            .optional("url", .url),
            .optional("phone", .phone),
            .optional("ip", .ipAddress),
            .optional("status", .enumeration(PostStatus.enumType)),
            .optional("tags", .list(of: .string, elementsRequired: true)),
            .optional("scores", .list(of: .int, elementsRequired: true)),
            .optional("address", .embedded(Address.embeddedType)),
            .optional("addresses", .list(of: .embedded(Address.embeddedType), elementsRequired: true)),
        ],
        indexes: [
            ModelIndex(name: "byCount", fields: ["count"]), ModelIndex(name: "byName", fields: ["name", "moment"]),
        ]
    )

    static func fieldName(for keyPath: PartialKeyPath<Everything>) -> String? {
        switch keyPath {
        case \Everything.id: "id"
        case \Everything.name: "name"
        case \Everything.count: "count"
        case \Everything.amount: "amount"
        case \Everything.flag: "flag"
        case \Everything.day: "day"
        case \Everything.time: "time"
        case \Everything.moment: "moment"
        case \Everything.timestamp: "timestamp"
        case \Everything.email: "email"
        case \Everything.json: "json"
        case \Everything.url: "url"
        case \Everything.phone: "phone"
        case \Everything.ip: "ip"
        case \Everything.status: "status"
        case \Everything.tags: "tags"
        case \Everything.scores: "scores"
        case \Everything.address: "address"
        case \Everything.addresses: "addresses"
        default: nil
        }
    }

    init() {}

    init(fieldValues values: FieldValues) throws(FieldValueError) {
        id = try values.decode(0)
        name = try values.decode(1)
        count = try values.decode(2)
        amount = try values.decode(3)
        flag = try values.decode(4)
        day = try values.decode(5)
        time = try values.decode(6)
        moment = try values.decode(7)
        timestamp = try values.decode(8)
        email = try values.decode(9)
        json = try values.decode(10)
        url = try values.decode(11)
        phone = try values.decode(12)
        ip = try values.decode(13)
        status = try values.decode(14)
        tags = try values.decode(15)
        scores = try values.decode(16)
        address = try values.decode(17)
        addresses = try values.decode(18)
    }

    var fieldValues: [FieldValue] {
        [
            id.fieldValue, name.fieldValue, count.fieldValue, amount.fieldValue, flag.fieldValue, day.fieldValue,
            time.fieldValue, moment.fieldValue, timestamp.fieldValue, email.fieldValue, json.fieldValue,
            url.fieldValue, phone.fieldValue, ip.fieldValue, status.fieldValue, tags.fieldValue, scores.fieldValue,
            address.fieldValue, addresses.fieldValue,
        ]
    }
}

enum SeedModels: ModelRegistry {
    static let models: [any Model.Type] = [Post.self, Comment.self, Everything.self]
}
