import CorpusRecursive
import DataStore
import DataStoreTestSupport
import DataStoreTesting
import Testing

/// The generated code of non-model types that contain themselves (`Tests/CorpusModels/Recursive`):
/// it compiles, and its values are stored and read back whole.
@Suite("Non-model types that contain themselves")
struct RecursiveTypesTests {
    /// A node `depth` levels deep: two children per level, a parent link, and a comment about
    /// another node with a reply.
    static func tree(_ depth: Int, label: String = "n") -> Node {
        Node(
            label: label,
            children: depth == 0 ? nil : [tree(depth - 1, label: label + "0"), tree(depth - 1, label: label + "1")],
            parent: depth == 0 ? nil : Node(label: "up-" + label),
            note: Comment(text: "about " + label, replies: [Comment(text: "re")], about: Node(label: "other"))
        )
    }

    @Test("a deep tree saves and reads back equal, and edits deep inside it are kept")
    func storeRoundTrip() async throws {
        let folder = Folder(
            name: "f",
            root: Self.tree(6),
            trees: [Self.tree(2), Self.tree(0)],
            comment: Comment(text: "c", replies: [Comment(replies: [Comment(text: "deep")])])
        )
        try await withTestStore(.sqliteFile, models: CorpusRecursive.AppModels.models) { store in
            try await store.save(folder)
            let found = try #require(try await store.query(Folder.self, byID: folder.id))
            #expect(found == folder)
            #expect(found.root?.children?[1].children?[0].parent?.label == "up-n10")
            #expect(found.comment?.replies?[0]?.replies?[0]?.text == "deep")

            var edited = found
            edited.root?.children?[0].children?[1].note?.about?.parent = Node(label: "new")
            edited.trees?[1].label = "renamed"
            try await store.save(edited)
            let reread = try #require(try await store.query(Folder.self, byID: folder.id))
            #expect(reread == edited && reread != folder)
            #expect(reread.root?.children?[0].children?[1].note?.about?.parent?.label == "new")
        }
    }

    @Test("the generated schema refers to itself, and @Indirect fields read and write as plain ones")
    func generatedSchema() {
        let node = Node.embeddedType
        #expect(node.fields.map(\.name) == ["label", "children", "parent", "note"])
        #expect(node.fields[1].type == .list(of: .embedded(node), elementsRequired: true))
        #expect(node.fields[2].type == .embedded(node))
        #expect(Folder.schema.fields.first { $0.name == "root" }?.type == .embedded(node))
        // The model's @model arguments travel with its generated schema.
        #expect(Folder.schema.operationArguments.queries == ["get": "folder", "list": .null])
        #expect(Folder.schema.operationArguments.subscriptions == ["onDelete": ["folderRemoved"]])
        #expect(Folder.schema.operationArguments.mutations == nil)

        var value = Node(label: "a")
        #expect(value.parent == nil)
        value.parent = Node(label: "b", parent: Node(label: "c"))
        #expect(value.parent?.parent?.label == "c")
        var copy = value
        copy.parent?.parent?.label = "changed"
        // A value type still: the copy's change leaves the original alone.
        #expect(value.parent?.parent?.label == "c" && copy != value)
        #expect(Set([value, copy, value]).count == 2)
    }
}
