import Testing

@testable import DataStoreCodegen

@Suite("Generated source layout")
struct SwiftSourceTests {
    @Test("a line of 120 columns or more wraps its last call's arguments one per line")
    func wrapsLongCalls() {
        var source = SwiftSource()
        source.block("public enum Permission: String, ModelEnum") { source in
            source.line(
                #"public static let enumType = EnumType(name: "Permission", values: ["Users", "ProgramAdmins", "Admins", "Sysadmins"])"#
            )
        }
        #expect(
            source.text == """
                public enum Permission: String, ModelEnum {
                    public static let enumType = EnumType(
                        name: "Permission",
                        values: ["Users", "ProgramAdmins", "Admins", "Sysadmins"],
                    )
                }

                """
        )
    }

    @Test("short lines and strings containing brackets stay as they are")
    func keepsShortLines() {
        var source = SwiftSource()
        source.line(#"let x = f("a(b", [1, 2])"#)
        #expect(source.text == "let x = f(\"a(b\", [1, 2])\n")
    }
}
