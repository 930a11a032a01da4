/// A shell-style pattern on a file name: `*` matches any run of characters, `?` one character, `[abc]` one
/// of a set, `[a-z]` one in a range, and `[!x]` or `[^x]` one character not in the set. A `]` right after
/// `[` or `[!` is a member, and a `-` first or last in a set is literal. `\` makes the next character literal.
/// Characters are Unicode scalars, compared exactly (case-sensitive), and ranges compare scalar values.
///
/// `accepts` adds the temporary-name rule of file triggers: names starting with `.` or ending in `.tmp` or
/// `.part` never match, whatever the pattern, because they are files still being written.
public struct FileGlob: Sendable, Equatable {
    /// An invalid pattern, such as an unclosed `[`.
    public struct ParseError: Error, Sendable, Equatable, CustomStringConvertible {
        public let pattern: String
        public let reason: String
        public var description: String { "invalid file pattern \"\(pattern)\": \(reason)" }
    }

    enum Token: Sendable, Equatable {
        case literal(Unicode.Scalar)
        case anyOne
        case anyRun
        case set(ranges: [ClosedRange<Unicode.Scalar>], negated: Bool)
    }

    /// The suffixes of temporary names, compared exactly.
    public static let temporarySuffixes = [".tmp", ".part"]

    public let pattern: String
    let tokens: [Token]

    /// Parses `pattern`. Throws `ParseError` for an empty pattern, an unclosed `[`, a trailing `\` or a
    /// `/`, since the pattern matches a name and not a path.
    public init(_ pattern: String) throws(ParseError) {
        self.pattern = pattern
        guard !pattern.isEmpty else { throw ParseError(pattern: pattern, reason: "the pattern is empty; use * to match every file") }
        guard !pattern.contains("/") else {
            throw ParseError(pattern: pattern, reason: "'/' is not allowed: the pattern matches a file name, not a path")
        }
        let scalars = Array(pattern.unicodeScalars)
        var tokens: [Token] = []
        var index = 0
        while index < scalars.count {
            let scalar = scalars[index]
            switch scalar {
            case "*":
                // Consecutive stars match the same as one.
                if tokens.last != .anyRun { tokens.append(.anyRun) }
                index += 1
            case "?":
                tokens.append(.anyOne)
                index += 1
            case "\\":
                guard index + 1 < scalars.count else { throw ParseError(pattern: pattern, reason: "'\\' at the end escapes nothing") }
                tokens.append(.literal(scalars[index + 1]))
                index += 2
            case "[":
                let (token, end) = try Self.parseSet(scalars, from: index, pattern: pattern)
                tokens.append(token)
                index = end
            default:
                tokens.append(.literal(scalar))
                index += 1
            }
        }
        self.tokens = tokens
    }

    /// Parses the set that opens at `start`; returns it and the index after its `]`.
    private static func parseSet(_ scalars: [Unicode.Scalar], from start: Int, pattern: String) throws(ParseError) -> (Token, Int) {
        var index = start + 1
        var negated = false
        if index < scalars.count, scalars[index] == "!" || scalars[index] == "^" {
            negated = true
            index += 1
        }
        var ranges: [ClosedRange<Unicode.Scalar>] = []
        var first = true
        while index < scalars.count {
            var low = scalars[index]
            if low == "]" && !first { return (.set(ranges: ranges, negated: negated), index + 1) }
            first = false
            if low == "\\", index + 1 < scalars.count {
                index += 1
                low = scalars[index]
            }
            if index + 2 < scalars.count, scalars[index + 1] == "-", scalars[index + 2] != "]" {
                let high = scalars[index + 2]
                guard low <= high else {
                    throw ParseError(pattern: pattern, reason: "the range \(low)-\(high) runs backwards")
                }
                ranges.append(low...high)
                index += 3
            } else {
                ranges.append(low...low)
                index += 1
            }
        }
        throw ParseError(pattern: pattern, reason: "the '[' at position \(start + 1) has no closing ']'")
    }

    /// True when `name` matches the pattern, without the temporary-name rule.
    public func matches(_ name: String) -> Bool {
        let scalars = Array(name.unicodeScalars)
        var tokenIndex = 0
        var nameIndex = 0
        // The last `*` seen and the name position it was tried at, for backtracking. One is enough: a later
        // star can always absorb what an earlier one would have.
        var starToken: Int?
        var starName = 0
        while nameIndex < scalars.count {
            if tokenIndex < tokens.count, tokens[tokenIndex] == .anyRun {
                starToken = tokenIndex
                starName = nameIndex
                tokenIndex += 1
            } else if tokenIndex < tokens.count, Self.token(tokens[tokenIndex], matches: scalars[nameIndex]) {
                tokenIndex += 1
                nameIndex += 1
            } else if let star = starToken {
                starName += 1
                nameIndex = starName
                tokenIndex = star + 1
            } else {
                return false
            }
        }
        while tokenIndex < tokens.count, tokens[tokenIndex] == .anyRun { tokenIndex += 1 }
        return tokenIndex == tokens.count
    }

    /// True when `name` matches the pattern and is not a temporary name.
    public func accepts(_ name: String) -> Bool {
        !Self.isTemporaryName(name) && matches(name)
    }

    /// True for names starting with `.` or ending in one of `temporarySuffixes`.
    public static func isTemporaryName(_ name: String) -> Bool {
        name.hasPrefix(".") || temporarySuffixes.contains { name.hasSuffix($0) }
    }

    private static func token(_ token: Token, matches scalar: Unicode.Scalar) -> Bool {
        switch token {
        case .literal(let literal): return literal == scalar
        case .anyOne: return true
        case .anyRun: return false
        case .set(let ranges, let negated): return ranges.contains { $0.contains(scalar) } != negated
        }
    }
}
