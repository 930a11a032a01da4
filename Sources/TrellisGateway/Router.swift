import Glibc
import TrellisCore
import TrellisRuntime
import TrellisTriggers

/// The destination of a request, decided from its method and target alone.
enum Route {
    /// A function invocation. `path` is the target's part after `/function/{name}` (empty or starting
    /// with `/`), `query` the text after `?`, neither percent-decoded.
    case function(ResolvedFunction, path: String, query: String)
    case builtin(BuiltinEndpoint)
    /// An event ingress endpoint such as `/events/{trigger}`. `path` is the whole target path and `query`
    /// the text after `?`, neither percent-decoded.
    case ingress(IngressRoute, path: String, query: String)
    /// 404 or 405, sent without running anything.
    case rejected(HTTPError)
}

/// The gateway's own endpoints. Each accepts GET and HEAD; other methods get 405.
enum BuiltinEndpoint: String, CaseIterable {
    case health = "/healthz"
    case functions = "/functions"
    case metrics = "/metrics"
}

/// Maps a request target to a `Route`.
///
/// Accepted target forms (RFC 9112 section 3.2): origin-form (`/function/hello?x=1`) and absolute-form
/// (`http://host/function/hello`), of which only the path and query are used. Other forms, such as
/// `*`, get 404. Function names are matched byte for byte without percent-decoding: a valid name never
/// contains `%` (`FunctionRegistry.problem(withName:)`), so `/function/h%65llo` gets 404 naming
/// `h%65llo`. This keeps one spelling per function in logs, metrics and caches.
///
/// Order: the built-in endpoints, then everything under `/function/` (with its own 404 and 405), then
/// the event ingress when one is configured, then 404.
///
/// The target is read as UTF-8 bytes. Every byte the router looks for (`/`, `?`, `://`) is ASCII, so a
/// split never falls inside a multi-byte character, and a function is found without making a String of
/// its name. Strings are made only for a non-empty sub-path or query and for the error messages.
final class Router: Sendable {
    static let functionPrefix: StaticString = "/function/"
    /// The maximum bytes of an unknown name quoted back in a 404 message.
    static let maxQuotedNameBytes = 80

    let application: Application
    let ingress: (any EventIngress)?
    private let functions: FunctionNameTable

    init(application: Application, ingress: (any EventIngress)? = nil) {
        self.application = application
        self.ingress = ingress
        functions = FunctionNameTable(application.functions)
    }

    func route(method: String, target: String) -> Route {
        if let route = target.utf8.withContiguousStorageIfAvailable({ route(method: method, target: target, bytes: $0) }) {
            return route
        }
        var contiguous = target
        contiguous.makeContiguousUTF8()
        return contiguous.utf8.withContiguousStorageIfAvailable { route(method: method, target: contiguous, bytes: $0) }!
    }

    /// Routes `target`, whose UTF-8 bytes are `bytes`.
    ///
    /// The `/function/` prefix is tested before the built-in endpoints: no built-in path starts with it
    /// (RouterTests checks), so the order of the two tests does not change a route, and the common case
    /// skips the endpoint comparisons.
    private func route(method: String, target: String, bytes: UnsafeBufferPointer<UInt8>) -> Route {
        let split = TargetSplit(bytes)
        let prefix = Self.functionPrefix
        guard let path = split.path, Self.hasPrefix(UnsafeBufferPointer(rebasing: bytes[path]), prefix) else {
            return routeOther(method: method, target: target, bytes: bytes, split: split)
        }
        let nameStart = path.lowerBound + prefix.utf8CodeUnitCount
        let nameEnd = TargetSplit.firstIndex(of: UInt8(ascii: "/"), in: bytes, from: nameStart, to: path.upperBound)
        let name = UnsafeBufferPointer(rebasing: bytes[nameStart..<nameEnd])
        guard !name.isEmpty else {
            let path = split.pathString(of: target, bytes: bytes)
            return .rejected(.notFound("The path \(Self.quoted(path)) names no function; use /function/{name}."))
        }
        guard let function = functions.function(named: name) else {
            return .rejected(.notFound("Function \(Self.quoted(String(decoding: name, as: UTF8.self))) was not found."))
        }
        guard function.allows(method: method) else {
            var headers = Headers()
            headers.add("Allow", function.allowHeader)
            return .rejected(HTTPError(
                405, code: "method_not_allowed",
                message: "Function \"\(function.name)\" accepts \(function.allowHeader), not \(Self.quoted(method)).",
                headers: headers))
        }
        let subPath = split.string(of: target, bytes: bytes, range: nameEnd..<path.upperBound)
        return .function(function, path: subPath, query: split.queryString(of: target, bytes: bytes))
    }

    /// Routes a target outside `/function/`: a built-in endpoint, the event ingress, or 404.
    private func routeOther(method: String, target: String, bytes: UnsafeBufferPointer<UInt8>, split: TargetSplit) -> Route {
        if let path = split.path, let endpoint = BuiltinEndpoint(path: UnsafeBufferPointer(rebasing: bytes[path])) {
            guard method == "GET" || method == "HEAD" else {
                var headers = Headers()
                headers.add("Allow", "GET, HEAD")
                return .rejected(HTTPError(
                    405, code: "method_not_allowed",
                    message: "\(endpoint.rawValue) accepts GET and HEAD, not \(Self.quoted(method)).", headers: headers))
            }
            return .builtin(endpoint)
        }
        let path = split.pathString(of: target, bytes: bytes)
        let query = split.queryString(of: target, bytes: bytes)
        if let ingress, let route = ingress.route(method: method, path: path, query: query) {
            return .ingress(route, path: path, query: query)
        }
        return .rejected(.notFound(
            "No route for \(Self.quoted(path)); functions are served under /function/{name}."))
    }

    private static func hasPrefix(_ bytes: UnsafeBufferPointer<UInt8>, _ prefix: StaticString) -> Bool {
        let count = prefix.utf8CodeUnitCount
        return bytes.count >= count && memcmp(bytes.baseAddress!, prefix.utf8Start, count) == 0
    }

    private static func quoted(_ text: String) -> String {
        let utf8 = text.utf8
        guard utf8.count > maxQuotedNameBytes else { return "\"\(text)\"" }
        return "\"\(String(decoding: utf8.prefix(maxQuotedNameBytes), as: UTF8.self))…\""
    }
}

/// The path and query of a request target as byte ranges of its UTF-8 form.
///
/// Origin-form (`/a/b?q`): the path runs to the first `?`, the query follows it. Absolute-form
/// (`http://host/a?q`, any target not starting with `/` that contains `://`): the path starts at the first
/// `/` or `?` after the `://`, and is `/` when the target has none or starts its query right away
/// (`http://host?q`). Any other target (`*`) is all path, up to a `?`.
struct TargetSplit {
    /// The path's bytes, or nil when the path is `/` and not spelt in the target.
    let path: Range<Int>?
    /// The query's bytes without the `?`, empty when there is none.
    let query: Range<Int>

    init(_ bytes: UnsafeBufferPointer<UInt8>) {
        let slash = UInt8(ascii: "/")
        let mark = UInt8(ascii: "?")
        let end = bytes.count
        var start = 0
        var impliedSlash = false
        if end == 0 || bytes[0] != slash, let authority = Self.endOfScheme(bytes) {
            start = authority
            while start < end && bytes[start] != slash && bytes[start] != mark { start += 1 }
            impliedSlash = start == end || bytes[start] == mark
        }
        let pathEnd = Self.firstIndex(of: mark, in: bytes, from: start, to: end)
        path = impliedSlash ? nil : start..<pathEnd
        query = pathEnd < end ? (pathEnd + 1)..<end : end..<end
    }

    /// The index of the first `byte` in `bytes[from..<to]`, or `to`.
    static func firstIndex(of byte: UInt8, in bytes: UnsafeBufferPointer<UInt8>, from: Int, to: Int) -> Int {
        guard from < to, let base = bytes.baseAddress else { return to }
        guard let found = memchr(base + from, Int32(byte), to - from) else { return to }
        return UnsafeRawPointer(base).distance(to: UnsafeRawPointer(found))
    }

    /// The index after the first `://`, or nil.
    private static func endOfScheme(_ bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        var index = 0
        while index + 3 <= bytes.count {
            if bytes[index] == UInt8(ascii: ":") && bytes[index + 1] == UInt8(ascii: "/")
                && bytes[index + 2] == UInt8(ascii: "/") {
                return index + 3
            }
            index += 1
        }
        return nil
    }

    func pathString(of target: String, bytes: UnsafeBufferPointer<UInt8>) -> String {
        guard let path else { return "/" }
        return string(of: target, bytes: bytes, range: path)
    }

    func queryString(of target: String, bytes: UnsafeBufferPointer<UInt8>) -> String {
        string(of: target, bytes: bytes, range: query)
    }

    /// The text of `range`: empty without allocating, `target` itself when the range covers it all.
    func string(of target: String, bytes: UnsafeBufferPointer<UInt8>, range: Range<Int>) -> String {
        if range.isEmpty { return "" }
        if range.count == bytes.count { return target }
        return String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self)
    }
}

extension BuiltinEndpoint {
    /// The endpoint whose path is exactly `path`, compared byte for byte.
    init?(path: UnsafeBufferPointer<UInt8>) {
        for endpoint in Self.allCases {
            let matches = endpoint.rawValue.utf8.count == path.count
                && endpoint.rawValue.utf8.withContiguousStorageIfAvailable { memcmp($0.baseAddress!, path.baseAddress!, path.count) == 0 } == true
            if matches {
                self = endpoint
                return
            }
        }
        return nil
    }
}

/// The application's functions keyed by the UTF-8 bytes of their names, so that routing finds one
/// without making a String of the name and hashing it. An open-addressing table with FNV-1a hashes,
/// at most half full. Names compare byte for byte, which for the ASCII names a registry accepts is the
/// same as String equality.
final class FunctionNameTable: Sendable {
    private struct Slot {
        /// Index into `functions`, or -1 for an empty slot.
        var function: Int
        var hash: UInt64
        /// The name's bytes in `names`.
        var nameStart: Int
        var nameCount: Int
    }

    private let functions: [ResolvedFunction]
    /// Every name's bytes back to back.
    private let names: [UInt8]
    /// The count is a power of two.
    private let slots: [Slot]

    init(_ functions: [ResolvedFunction]) {
        self.functions = functions
        var slotCount = 8
        while slotCount < functions.count * 2 { slotCount *= 2 }
        var names: [UInt8] = []
        var slots = [Slot](repeating: Slot(function: -1, hash: 0, nameStart: 0, nameCount: 0), count: slotCount)
        for (index, function) in functions.enumerated() {
            let name = Array(function.name.utf8)
            let hash = name.withUnsafeBufferPointer { Self.hash($0) }
            var slot = Int(truncatingIfNeeded: hash) & (slotCount - 1)
            while slots[slot].function >= 0 { slot = (slot + 1) & (slotCount - 1) }
            slots[slot] = Slot(function: index, hash: hash, nameStart: names.count, nameCount: name.count)
            names.append(contentsOf: name)
        }
        self.names = names
        self.slots = slots
    }

    func function(named name: UnsafeBufferPointer<UInt8>) -> ResolvedFunction? {
        guard let nameBase = name.baseAddress else { return nil }
        let hash = Self.hash(name)
        let index: Int? = slots.withUnsafeBufferPointer { slots in
            names.withUnsafeBufferPointer { names in
                let mask = slots.count - 1
                var position = Int(truncatingIfNeeded: hash) & mask
                while true {
                    let slot = slots[position]
                    if slot.function < 0 { return nil }
                    if slot.hash == hash && slot.nameCount == name.count
                        && memcmp(names.baseAddress! + slot.nameStart, nameBase, name.count) == 0 {
                        return slot.function
                    }
                    position = (position + 1) & mask
                }
            }
        }
        return index.map { functions[$0] }
    }

    /// 64-bit FNV-1a.
    private static func hash(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        return hash
    }
}
