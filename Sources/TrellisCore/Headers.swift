/// HTTP header fields in the order they arrived, looked up without regard to ASCII letter case.
///
/// A field name may occur more than once (for example `Set-Cookie`); `subscript` returns the first
/// value and `values(for:)` returns all of them. Names keep the spelling they were given.
public struct Headers: Sendable, Equatable, Sequence {
    public private(set) var fields: [(name: String, value: String)]

    public init() { fields = [] }

    public init(_ fields: [(String, String)]) {
        self.fields = fields.map { (name: $0.0, value: $0.1) }
    }

    /// Takes `fields` as they are, sharing the array's storage instead of copying it.
    public init(fields: [(name: String, value: String)]) {
        self.fields = fields
    }

    public var count: Int { fields.count }

    /// The first value of the field `name`, or nil when the field is absent.
    public subscript(name: String) -> String? {
        get {
            for field in fields where Headers.namesEqual(field.name, name) { return field.value }
            return nil
        }
        set {
            remove(name)
            if let newValue { fields.append((name: name, value: newValue)) }
        }
    }

    public func values(for name: String) -> [String] {
        fields.filter { Headers.namesEqual($0.name, name) }.map(\.value)
    }

    public func contains(_ name: String) -> Bool { self[name] != nil }

    /// Appends a field and keeps any earlier field of the same name.
    public mutating func add(_ name: String, _ value: String) {
        fields.append((name: name, value: value))
    }

    /// Makes room for `count` fields in all, so that appending up to that many does not reallocate.
    public mutating func reserveCapacity(_ count: Int) {
        fields.reserveCapacity(count)
    }

    public mutating func remove(_ name: String) {
        fields.removeAll { Headers.namesEqual($0.name, name) }
    }

    public func makeIterator() -> IndexingIterator<[(name: String, value: String)]> {
        fields.makeIterator()
    }

    public static func == (lhs: Headers, rhs: Headers) -> Bool {
        lhs.fields.count == rhs.fields.count
            && zip(lhs.fields, rhs.fields).allSatisfy { $0.name == $1.name && $0.value == $1.value }
    }

    /// Compares two field names byte by byte, folding ASCII letters only (RFC 9110, section 5.1).
    @inlinable
    public static func namesEqual(_ lhs: String, _ rhs: String) -> Bool {
        var lhs = lhs
        var rhs = rhs
        return lhs.withUTF8 { left in
            rhs.withUTF8 { right in
                guard left.count == right.count else { return false }
                for index in 0..<left.count where left[index] != right[index] {
                    let folded = left[index] | 0x20
                    if folded != right[index] | 0x20 || folded < UInt8(ascii: "a") || folded > UInt8(ascii: "z") {
                        return false
                    }
                }
                return true
            }
        }
    }
}
