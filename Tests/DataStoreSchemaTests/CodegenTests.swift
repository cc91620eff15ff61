import DataStore
import DataStoreCodegen
import DataStoreSchema
import Foundation
import Testing

@Suite("Code generation")
struct CodegenTests {
    static let goldenDirectory = Build.root.appending(path: "Tests/DataStoreSchemaTests/Golden/Blog")

    @Test("the seed schema generates exactly the checked-in golden files")
    func golden() throws {
        let document = try SchemaParser.parse(try String(contentsOf: Build.seedSchema, encoding: .utf8))
        let files = ModelGenerator().files(for: document)
        if ProcessInfo.processInfo.environment["DATASTORE_UPDATE_GOLDEN"] == "1" {
            for file in files {
                try file.contents.write(
                    to: Self.goldenDirectory.appending(path: file.name),
                    atomically: true,
                    encoding: .utf8
                )
            }
        }
        let goldenNames = try FileManager.default.contentsOfDirectory(atPath: Self.goldenDirectory.path).filter {
            $0.hasSuffix(".swift")
        }
        #expect(Set(goldenNames) == Set(files.map(\.name)))
        for file in files {
            let golden = try String(contentsOf: Self.goldenDirectory.appending(path: file.name), encoding: .utf8)
            #expect(
                file.contents == golden,
                "\(file.name) differs from its golden file; regenerate with DATASTORE_UPDATE_GOLDEN=1 if the change is intended"
            )
        }
    }

    @Test("enum values map SCREAMING_CASE to camelCase and keywords to backticks")
    func enumCaseNames() {
        #expect(SwiftNames.enumCaseName("ACTIVE") == "active")
        #expect(SwiftNames.enumCaseName("IN_PROGRESS") == "inProgress")
        #expect(SwiftNames.enumCaseName("inProgress") == "inProgress")
        #expect(SwiftNames.enumCaseName("Users") == "users")
        #expect(SwiftNames.enumCaseName("ProgramAdmins") == "programAdmins")
        #expect(SwiftNames.enumCaseName("_null") == "_null")
        let document = try? SchemaParser.parse("enum Kind { DEFAULT CASE NORMAL_ONE }\ntype T @model { kind: Kind }")
        let source = document.map { ModelGenerator().files(for: $0).first { $0.name == "Kind.swift" }!.contents } ?? ""
        #expect(source.contains("case `default` = \"DEFAULT\""))
        #expect(source.contains("case `case` = \"CASE\""))
        #expect(source.contains("case normalOne = \"NORMAL_ONE\""))
    }

    @Test("descriptions become doc comments; @default values become initializer defaults")
    func descriptionsAndDefaults() throws {
        let document = try SchemaParser.parse(
            """
            "A task.\\nSecond line."
            type Task @model {
              "What to do."
              title: String! @default(value: "untitled")
              priority: Int @default(value: "3")
              done: Boolean! @default(value: "false")
              due: AWSDateTime @default(value: "2026-01-01T00:00:00Z")
              kind: Kind! @default(value: "CHORE")
            }
            enum Kind { CHORE ERRAND }
            """
        )
        let source = ModelGenerator().files(for: document).first { $0.name == "Task.swift" }!.contents
        #expect(source.contains("/// A task.\n/// Second line.\npublic struct Task"))
        #expect(source.contains("    /// What to do.\n    public var title: String"))
        #expect(source.contains("title: String = \"untitled\","))
        #expect(source.contains("priority: Int? = 3,"))
        #expect(source.contains("done: Bool = false,"))
        #expect(source.contains("due: Temporal.DateTime? = Temporal.DateTime(millisecondsSince1970: 1767225600000)!,"))
        #expect(source.contains("kind: Kind = .chore"))
    }

    @Test("@auth rules reach the generated schema, providers resolved, for a synced store to follow")
    func authRules() throws {
        let document = try SchemaParser.parse(
            """
            type Note @model @auth(rules: [
              {allow: owner, ownerField: "editors", identityClaim: "sub", operations: [update, read]},
              {allow: groups, groups: ["Admin"], groupClaim: "roles"},
              {allow: private, provider: oidc},
              {allow: public, operations: [read]}
            ]) { id: ID!, editors: [String] }
            """
        )
        #expect(
            document.model(named: "Note")?.schema.authRules == [
                ModelAuthRule(
                    strategy: .owner,
                    ownerField: "editors",
                    identityClaim: "sub",
                    operations: [.update, .read]
                ),
                ModelAuthRule(strategy: .groups, groupClaim: "roles", groups: ["Admin"]),
                ModelAuthRule(strategy: .private, provider: .oidc),
                ModelAuthRule(strategy: .public, provider: .apiKey, operations: [.read]),
            ]
        )
        let source = ModelGenerator().files(for: document).first { $0.name == "Note.swift" }!.contents
        for part in [
            "authRules: [", "strategy: .owner,", "ownerField: \"editors\",", "identityClaim: \"sub\",",
            "operations: [.update, .read],", #"groupClaim: "roles", groups: ["Admin"]"#,
        ] {
            #expect(source.contains(part), "\(part)")
        }
        #expect(source.contains("ModelAuthRule(strategy: .private, provider: .oidc)"))
        #expect(ModelAuthRule(strategy: .public, operations: [.read]).grants(.listen))
        #expect(!ModelAuthRule(strategy: .public, operations: [.read]).grants(.create))
    }

    @Test("internal access and a custom registry name")
    func accessAndRegistry() throws {
        let document = try SchemaParser.parse("type Note @model { text: String }")
        let files = ModelGenerator(access: .internal, registryName: "NotesModels").files(for: document)
        #expect(files.map(\.name).sorted() == ["Note.swift", "NotesModels.swift"])
        let note = files.first { $0.name == "Note.swift" }!.contents
        #expect(note.contains("\nimport DataStore\nimport Foundation\n"))
        #expect(note.contains("\nstruct Note: Model, Hashable {"))
        #expect(!note.contains("public "))
        let registry = files.first { $0.name == "NotesModels.swift" }!.contents
        #expect(registry.contains("enum NotesModels: ModelRegistry"))
        #expect(registry.contains("static let version = \"\(document.versionHash)\""))
    }
}

@Suite("datastore-modelgen")
struct ModelGenCommandTests {
    @Test("generates files, leaves unchanged files alone, and removes stale generated files")
    func writesOnlyChanges() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let schema = directory.appending(path: "schema.graphql")
        let output = directory.appending(path: "Generated")
        try "type Note @model { text: String }\ntype Tag @model { label: String! }".write(
            to: schema,
            atomically: true,
            encoding: .utf8
        )
        let first = try run(Build.modelgen.path, ["--schema", schema.path, "--output", output.path])
        #expect(first.status == 0, "\(first.output)")
        let names = try FileManager.default.contentsOfDirectory(atPath: output.path).sorted()
        #expect(names == ["AppModels.swift", "Note.swift", "Tag.swift"])
        // A hand-written file in the output directory must survive.
        try "// mine".write(to: output.appending(path: "Mine.swift"), atomically: true, encoding: .utf8)
        let noteURL = output.appending(path: "Note.swift")
        let before = try FileManager.default.attributesOfItem(atPath: noteURL.path)[.modificationDate] as? Date
        try FileManager.default.setAttributes(
            [.modificationDate: Date(timeIntervalSince1970: 1_000_000)],
            ofItemAtPath: noteURL.path
        )
        try "type Note @model { text: String }".write(to: schema, atomically: true, encoding: .utf8)
        let second = try run(Build.modelgen.path, ["--schema", schema.path, "--output", output.path, "--verbose"])
        #expect(second.status == 0, "\(second.output)")
        let after = try FileManager.default.attributesOfItem(atPath: noteURL.path)[.modificationDate] as? Date
        #expect(before != nil)
        #expect(after == Date(timeIntervalSince1970: 1_000_000), "an unchanged file was rewritten")
        let remaining = try FileManager.default.contentsOfDirectory(atPath: output.path).sorted()
        #expect(remaining == ["AppModels.swift", "Mine.swift", "Note.swift"])
    }

    @Test("a bad schema prints file:line:column errors and exits non-zero")
    func reportsErrors() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let schema = directory.appending(path: "bad.graphql")
        try "type Post @model {\n  id: ID!\n  author: Writer\n}\n".write(to: schema, atomically: true, encoding: .utf8)
        let result = try run(
            Build.modelgen.path,
            ["--schema", schema.path, "--output", directory.appending(path: "out").path]
        )
        #expect(result.status != 0)
        #expect(
            result.output.contains("\(schema.path):3:11: error: unknown type Writer for Post.author"),
            "\(result.output)"
        )
        #expect(!FileManager.default.fileExists(atPath: directory.appending(path: "out").path))
    }
}

@Suite("Generated code compiles")
struct GeneratedCodeCompilesTests {
    /// Type-checks the generated code of a corpus schema against the DataStore module, as Swift 6
    /// with warnings as errors, and checks its formatting with swift format.
    @Test("every corpus schema's generated code type-checks without warnings and is formatted", arguments: Corpus.files)
    func compiles(file: String) throws {
        let swiftc = try #require(which("swiftc"))
        let document = try SchemaParser.parse(try Corpus.source(file))
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let paths = try writeGeneratedFiles(for: document, to: directory)
        let result = try run(
            swiftc,
            ["-typecheck", "-swift-version", "6", "-warnings-as-errors", "-module-name", "CorpusModels"]
                + Build.moduleFlags + paths
        )
        #expect(result.status == 0, "\(file):\n\(result.output)")
        if let swift = which("swift") {
            let lint = try run(
                swift,
                ["format", "lint", "--strict", "--configuration", Build.root.appending(path: ".swift-format").path]
                    + paths
            )
            #expect(lint.status == 0 && lint.output.isEmpty, "\(file):\n\(lint.output)")
        }
    }
}

@Suite("Misuse does not compile")
struct MisuseDoesNotCompileTests {
    /// Statements that must be rejected by the type checker when written against the generated
    /// seed models: each is a mistake a typed query API exists to catch before the program runs.
    static let misuses: [(name: String, code: String)] = [
        ("comparing an Int field with a String", #"let _: QueryPredicate<Post> = \.rating == "x""#),
        ("ordering a String field against an Int", #"let _: QueryPredicate<Post> = \.title > 3"#),
        ("a prefix test on an Int field", #"let _ = QueryPredicate<Post>.beginsWith(\.rating, "1")"#),
        ("a key path of another model", #"let _: QueryPredicate<Post> = \Comment.content == "x""#),
        ("an enum field compared with a raw string", #"let _: QueryPredicate<Post> = \.status == "ACTIVE""#),
        ("sorting by a value that is not a scalar field", #"let _ = QuerySort<Post>.ascending(\.self)"#),
        (
            "writing a backend-managed timestamp",
            "var post = Post(title: \"t\", rating: 1, status: .active)\n"
                + "post.createdAt = nil"
        ),
        (
            "a condition block mixing models",
            "let _: QueryPredicate<Post> = And {\n\\Post.rating > 1\n"
                + "\\Comment.postID == \"p\"\n}"
        ),
    ]

    /// The same shapes, written correctly: proves that the failures above come from the misuse and
    /// not from the harness.
    static let control = """
        let _: QueryPredicate<Post> = \\.rating == 3
        let _: QueryPredicate<Post> = \\.title > "m"
        let _ = QueryPredicate<Post>.beginsWith(\\.title, "1")
        let _: QueryPredicate<Comment> = \\Comment.content == "x"
        let _: QueryPredicate<Post> = \\.status == .active
        let _ = QuerySort<Post>.ascending(\\.rating)
        var post = Post(title: "t", rating: 1, status: .active)
        post.title = "u"
        let _: QueryPredicate<Post> = And {
            \\Post.rating > 1
            \\Post.title == "p"
        }
        """

    /// Type-checks `statements` (wrapped in a function) together with the seed models' generated code.
    static func typecheck(_ statements: String) throws -> (status: Int32, output: String, file: String) {
        let swiftc = try #require(which("swiftc"))
        let document = try SchemaParser.parse(try String(contentsOf: Build.seedSchema, encoding: .utf8))
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let paths = try writeGeneratedFiles(for: document, to: directory)
        let usage = directory.appending(path: "Usage.swift")
        try "import DataStore\n\nfunc usage() {\n\(statements)\n}\n".write(to: usage, atomically: true, encoding: .utf8)
        let result = try run(
            swiftc,
            ["-typecheck", "-swift-version", "6", "-module-name", "Usage", "-diagnostic-style=llvm"] + Build.moduleFlags
                + paths + [usage.path]
        )
        return (result.status, result.output, usage.lastPathComponent)
    }

    @Test("the correct forms type-check")
    func controlCompiles() throws {
        let result = try Self.typecheck(Self.control)
        #expect(result.status == 0, "\(result.output)")
    }

    @Test("a misuse is a compile-time error in the user's code", arguments: misuses.map(\.name))
    func rejected(name: String) throws {
        let code = try #require(Self.misuses.first { $0.name == name }).code
        let result = try Self.typecheck(code)
        #expect(result.status != 0, "\(name) compiled")
        // The error is reported in the user's file, not in the generated models.
        #expect(result.output.contains("\(result.file):") && result.output.contains("error:"), "\(result.output)")
        let generatedErrors = result.output.split(separator: "\n").filter {
            $0.contains(": error:") && !$0.contains("/\(result.file):")
        }
        #expect(generatedErrors.isEmpty, "\(result.output)")
    }
}
