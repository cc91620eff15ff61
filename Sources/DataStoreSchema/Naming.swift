/// Names as the Amplify transformer forms them.
public enum Naming {
    /// The transformer's camel case: the first word with its first letter lowercased, then each
    /// other word with its first letter uppercased (`["Post", "comments", "id"]` → `postCommentsId`).
    public static func camelCase(_ words: [String]) -> String {
        var result = ""
        for (index, word) in words.enumerated() {
            guard let first = word.first else { continue }
            result += (index == 0 ? first.lowercased() : first.uppercased()) + word.dropFirst()
        }
        return result
    }

    /// The word with its first letter uppercased.
    public static func upperFirst(_ word: String) -> String {
        guard let first = word.first else { return word }
        return first.uppercased() + word.dropFirst()
    }

    /// The word with its first letter lowercased.
    public static func lowerFirst(_ word: String) -> String {
        guard let first = word.first else { return word }
        return first.lowercased() + word.dropFirst()
    }
}
