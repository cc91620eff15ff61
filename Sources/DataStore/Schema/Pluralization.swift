/// English plurals as the Amplify toolchain makes them.
///
/// The Amplify GraphQL transformer names `listPeople` and `syncPeople` after the npm `pluralize`
/// package's plural of the model name, and Amplify's model generators write the same plural into
/// each model's schema; our server and client must use the same names to talk to AppSync and to
/// Amplify-generated code. This follows that package's behaviour: words that are already plural
/// or have no plural, irregular words, then suffix rules (the most specific first), each
/// replacement taking the case of the text it replaces. A model name is one token, so only its
/// ending matters: `BlogSettings` stays `BlogSettings`, `Person` becomes `People`, `Status`
/// becomes `Statuses`, `Category` becomes `Categories`.
enum Pluralization {
    /// The plural of `word`.
    static func plural(of word: String) -> String {
        let token = word.lowercased()
        if irregularPlurals.contains(token) { return restoringCase(of: word, in: token) }
        if let plural = irregular[token] { return restoringCase(of: word, in: plural) }
        if token.isEmpty || uncountable.contains(token) { return word }
        for rule in rules.reversed() {
            guard let regex = try? Regex(rule.pattern).ignoresCase(), let match = word.firstMatch(of: regex) else {
                continue
            }
            let replacement = interpolate(rule.replacement, match)
            let matched = word[match.range]
            let cased: String
            if matched.isEmpty {
                // An empty match at the end (`s?$` after a consonant) takes the case of the
                // character before it.
                let previous =
                    match.range.lowerBound > word.startIndex ? word.index(before: match.range.lowerBound) : nil
                cased = restoringCase(of: previous.map { String(word[$0]) } ?? "", in: replacement)
            } else {
                cased = restoringCase(of: String(matched), in: replacement)
            }
            return word[..<match.range.lowerBound] + cased + word[match.range.upperBound...]
        }
        return word
    }

    /// `token` in the case pattern of `word`: as is, all lower, all upper, or capitalized.
    private static func restoringCase(of word: String, in token: String) -> String {
        if word == token { return token }
        if word == word.lowercased() { return token.lowercased() }
        if word == word.uppercased() { return token.uppercased() }
        if let first = word.first, String(first) == String(first).uppercased() {
            return token.prefix(1).uppercased() + token.dropFirst().lowercased()
        }
        return token.lowercased()
    }

    /// `template` with `$0`…`$9` replaced by the match's groups (a group that did not take part
    /// is empty).
    private static func interpolate(_ template: String, _ match: Regex<AnyRegexOutput>.Match) -> String {
        var result = ""
        var characters = template[...]
        while let character = characters.first {
            characters = characters.dropFirst()
            if character == "$", let digit = characters.first?.wholeNumberValue {
                characters = characters.dropFirst()
                if digit < match.output.count, let group = match.output[digit].substring {
                    result += group
                }
            } else {
                result.append(character)
            }
        }
        return result
    }

    private struct Rule {
        let pattern: String
        let replacement: String
    }

    /// Suffix rules, most general first; the last rule that matches wins. The final group makes
    /// words that end like an uncountable word stay as they are (`GoldFish`, `Series`).
    private static let rules: [Rule] = [
        Rule(pattern: "s?$", replacement: "s"),
        Rule(pattern: "[^\\u{0000}-\\u{007F}]$", replacement: "$0"),
        Rule(pattern: "([^aeiou]ese)$", replacement: "$1"),
        Rule(pattern: "(ax|test)is$", replacement: "$1es"),
        Rule(pattern: "(alias|[^aou]us|t[lm]as|gas|ris)$", replacement: "$1es"),
        Rule(pattern: "(e[mn]u)s?$", replacement: "$1s"),
        Rule(pattern: "([^l]ias|[aeiou]las|[ejzr]as|[iu]am)$", replacement: "$1"),
        Rule(
            pattern: "(alumn|syllab|vir|radi|nucle|fung|cact|stimul|termin|bacill|foc|uter|loc|strat)(?:us|i)$",
            replacement: "$1i"
        ),
        Rule(pattern: "(alumn|alg|vertebr)(?:a|ae)$", replacement: "$1ae"),
        Rule(pattern: "(seraph|cherub)(?:im)?$", replacement: "$1im"),
        Rule(pattern: "(her|at|gr)o$", replacement: "$1oes"),
        Rule(
            pattern:
                "(agend|addend|millenni|dat|extrem|bacteri|desiderat|strat|candelabr|errat|ov|symposi|curricul|automat|quor)(?:a|um)$",
            replacement: "$1a"
        ),
        Rule(
            pattern:
                "(apheli|hyperbat|periheli|asyndet|noumen|phenomen|criteri|organ|prolegomen|hedr|automat)(?:a|on)$",
            replacement: "$1a"
        ),
        Rule(pattern: "sis$", replacement: "ses"),
        Rule(pattern: "(?:(kni|wi|li)fe|(ar|l|ea|eo|oa|hoo)f)$", replacement: "$1$2ves"),
        Rule(pattern: "([^aeiouy]|qu)y$", replacement: "$1ies"),
        Rule(pattern: "([^ch][ieo][ln])ey$", replacement: "$1ies"),
        Rule(pattern: "(x|ch|ss|sh|zz)$", replacement: "$1es"),
        Rule(pattern: "(matr|cod|mur|sil|vert|ind|append)(?:ix|ex)$", replacement: "$1ices"),
        Rule(pattern: "\\b((?:tit)?m|l)(?:ice|ouse)$", replacement: "$1ice"),
        Rule(pattern: "(pe)(?:rson|ople)$", replacement: "$1ople"),
        Rule(pattern: "(child)(?:ren)?$", replacement: "$1ren"),
        Rule(pattern: "eaux$", replacement: "$0"),
        Rule(pattern: "m[ae]n$", replacement: "men"),
        Rule(pattern: "^thou$", replacement: "you"),
        // Endings of words without a plural.
        Rule(pattern: "pok[eé]mon$", replacement: "$0"),
        Rule(pattern: "[^aeiou]ese$", replacement: "$0"),
        Rule(pattern: "deer$", replacement: "$0"),
        Rule(pattern: "fish$", replacement: "$0"),
        Rule(pattern: "measles$", replacement: "$0"),
        Rule(pattern: "o[iu]s$", replacement: "$0"),
        Rule(pattern: "pox$", replacement: "$0"),
        Rule(pattern: "sheep$", replacement: "$0"),
    ]

    /// Whole words with an irregular plural.
    private static let irregular: [String: String] = [
        "i": "we", "me": "us", "he": "they", "she": "they", "them": "them", "myself": "ourselves",
        "yourself": "yourselves", "itself": "themselves", "herself": "themselves", "himself": "themselves",
        "themself": "themselves", "is": "are", "was": "were", "has": "have", "this": "these", "that": "those",
        "echo": "echoes", "dingo": "dingoes", "volcano": "volcanoes", "tornado": "tornadoes",
        "torpedo": "torpedoes", "genus": "genera", "viscus": "viscera", "stigma": "stigmata", "stoma": "stomata",
        "dogma": "dogmata", "lemma": "lemmata", "schema": "schemata", "anathema": "anathemata", "ox": "oxen",
        "axe": "axes", "die": "dice", "yes": "yeses", "foot": "feet", "eave": "eaves", "goose": "geese",
        "tooth": "teeth", "quiz": "quizzes", "human": "humans", "proof": "proofs", "carve": "carves",
        "valve": "valves", "looey": "looies", "thief": "thieves", "groove": "grooves", "pickaxe": "pickaxes",
        "passerby": "passersby",
    ]

    /// Whole words that are already the plural of an irregular word.
    private static let irregularPlurals = Set(irregular.values)

    /// Whole words without a plural.
    private static let uncountable: Set<String> = [
        "adulthood", "advice", "agenda", "aid", "aircraft", "alcohol", "ammo", "analytics", "anime", "athletics",
        "audio", "bison", "blood", "bream", "buffalo", "butter", "carp", "cash", "chassis", "chess", "clothing",
        "cod", "commerce", "cooperation", "corps", "debris", "diabetes", "digestion", "elk", "energy",
        "equipment", "excretion", "expertise", "firmware", "flounder", "fun", "gallows", "garbage", "graffiti",
        "hardware", "headquarters", "health", "herpes", "highjinks", "homework", "housework", "information",
        "jeans", "justice", "kudos", "labour", "literature", "machinery", "mackerel", "mail", "media", "mews",
        "moose", "music", "mud", "manga", "news", "only", "personnel", "pike", "plankton", "pliers", "police",
        "pollution", "premises", "rain", "research", "rice", "salmon", "scissors", "series", "sewage",
        "shambles", "shrimp", "software", "staff", "species", "swine", "tennis", "traffic", "transportation",
        "trout", "tuna", "wealth", "welfare", "whiting", "wildebeest", "wildlife", "you",
    ]
}
