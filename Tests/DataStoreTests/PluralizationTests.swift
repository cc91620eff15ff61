import Testing

@testable import DataStore

@Suite("Model plurals follow the Amplify toolchain's")
struct PluralizationTests {
    @Test(
        "regular, irregular and uncountable names, and names that end like them",
        arguments: [
            ("Post", "Posts"), ("Comment", "Comments"), ("Category", "Categories"), ("Day", "Days"),
            ("Address", "Addresses"), ("Box", "Boxes"), ("Match", "Matches"), ("Wish", "Wishes"),
            ("Buzz", "Buzzes"), ("Status", "Statuses"), ("Bus", "Buses"), ("Campus", "Campuses"),
            ("Alias", "Aliases"), ("Analysis", "Analyses"), ("Axis", "Axes"), ("Person", "People"),
            ("BlogPerson", "BlogPeople"), ("Child", "Children"), ("Man", "Men"), ("Woman", "Women"),
            ("Mouse", "Mice"), ("Index", "Indices"), ("Matrix", "Matrices"), ("Knife", "Knives"),
            ("Leaf", "Leaves"), ("Hero", "Heroes"), ("Photo", "Photos"), ("Datum", "Data"),
            ("Criterion", "Criteria"), ("Cactus", "Cacti"), ("Money", "Monies"), ("Key", "Keys"),
            ("Quiz", "Quizzes"), ("Foot", "Feet"), ("Goose", "Geese"), ("Ox", "Oxen"),
            ("BlogSettings", "BlogSettings"), ("PostTags", "PostTags"), ("Settings", "Settings"),
            ("News", "News"), ("Equipment", "Equipment"), ("Sheep", "Sheep"), ("GoldFish", "GoldFish"),
            ("Series", "Series"), ("Species", "Species"), ("Chinese", "Chinese"), ("People", "People"),
            ("Todo", "Todos"), ("Query", "Queries"), ("Menu", "Menus"), ("Schema", "Schemata"),
            ("Bureau", "Bureaus"), ("Plateau", "Plateaus"), ("Beau", "Beaus"), ("Café", "Café"),
            ("POST", "POSTS"), ("post", "posts"), ("PERSON", "PEOPLE"), ("Radius", "Radii"),
        ]
    )
    func plural(name: String, plural: String) {
        #expect(ModelSchema.defaultPlural(of: name) == plural)
        #expect(ModelSchema(name: name, fields: [.required("id", .id)]).pluralName == plural)
    }
}
