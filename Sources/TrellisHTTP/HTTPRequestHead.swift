/// The request line and header fields of one request.
public struct HTTPRequestHead: Sendable {
    /// The method token as sent (case-sensitive, RFC 9110 section 9.1).
    public var method: String
    /// The request target as sent, for example `/function/hello?x=1`: origin-form, absolute-form, or
    /// `*` for OPTIONS. It is not percent-decoded.
    public var target: String
    /// 0 for HTTP/1.0, 1 for HTTP/1.1.
    public var versionMinor: Int
    /// Field lines in order, names as sent, values with surrounding whitespace removed. Bytes that are
    /// not valid UTF-8 (obs-text, RFC 9110 section 5.5) appear as U+FFFD.
    public var headers: [(name: String, value: String)] {
        didSet { requestIDIndex = Self.firstRequestIDIndex(in: headers) }
    }
    public var framing: HTTPBodyFraming
    /// False when the client asked to close: HTTP/1.0 without `Connection: keep-alive`, or any
    /// `Connection: close`.
    public var keepAlive: Bool
    /// True for `Expect: 100-continue`.
    public var expectsContinue: Bool
    /// The index in `headers` of the first `X-Request-Id` field. The parser notes it while it reads the
    /// fields; any change to `headers` looks it up again.
    private var requestIDIndex: Int?

    public init(
        method: String, target: String, versionMinor: Int, headers: [(name: String, value: String)],
        framing: HTTPBodyFraming, keepAlive: Bool, expectsContinue: Bool
    ) {
        self.init(
            method: method, target: target, versionMinor: versionMinor, headers: headers, framing: framing,
            keepAlive: keepAlive, expectsContinue: expectsContinue,
            requestIDIndex: Self.firstRequestIDIndex(in: headers))
    }

    /// Takes the index of the first `X-Request-Id` field in `headers` as the parser found it.
    init(
        method: String, target: String, versionMinor: Int, headers: [(name: String, value: String)],
        framing: HTTPBodyFraming, keepAlive: Bool, expectsContinue: Bool, requestIDIndex: Int?
    ) {
        self.method = method
        self.target = target
        self.versionMinor = versionMinor
        self.headers = headers
        self.framing = framing
        self.keepAlive = keepAlive
        self.expectsContinue = expectsContinue
        self.requestIDIndex = requestIDIndex
    }

    /// The value of the first `X-Request-Id` field, or nil. Costs no search: the position is noted
    /// while the fields are parsed.
    public var requestIDField: String? {
        requestIDIndex.map { headers[$0].value }
    }

    /// The first value of the header field `name`, compared without regard to ASCII case, or nil.
    public func headerValue(_ name: String) -> String? {
        let wanted = name.lowercased()
        return headers.first { $0.name.lowercased() == wanted }?.value
    }

    private static func firstRequestIDIndex(in headers: [(name: String, value: String)]) -> Int? {
        headers.firstIndex { field in
            var name = field.name
            return name.withUTF8 { HTTPSyntax.equalsIgnoringCase($0, "x-request-id") }
        }
    }
}
