import Testing
import TrellisCore
import TrellisTriggers

/// Expected tags come from `openssl dgst -sha256 -hmac`, not from the code under test.
@Suite struct WebhookSignatureVerifierTests {
    static let secret = "It's a Secret to Everybody"
    static let body = Array(#"{"action":"opened","number":1}"#.utf8)
    /// A fixed instant in Unix seconds: 2023-11-14T22:13:20Z.
    static let t0: Int64 = 1_700_000_000
    static let header = "Stripe-Signature"

    static var hub: WebhookSettings.Signature { .hubSignature(secret: Array(secret.utf8)) }
    static var timestamped: WebhookSettings.Signature {
        .timestamped(secret: Array(secret.utf8), header: header, tolerance: .seconds(300))
    }

    static func verify(_ signature: WebhookSettings.Signature, _ fields: [(String, String)], now: Double = Double(t0))
        -> WebhookSignatureVerifier.Failure?
    {
        do {
            try WebhookSignatureVerifier.verify(signature, headers: Headers(fields), body: body, now: now)
            return nil
        } catch {
            return error
        }
    }

    static func timestampedTag(_ timestamp: Int64) throws -> String {
        try OpenSSLHMAC.hexTag(key: secret, data: Array("\(timestamp).".utf8) + body)
    }

    @Test func hubSignatureAccepted() throws {
        let tag = try OpenSSLHMAC.hexTag(key: Self.secret, data: Self.body)
        #expect(Self.verify(Self.hub, [("X-Hub-Signature-256", "sha256=\(tag)")]) == nil)
        #expect(Self.verify(Self.hub, [("x-hub-signature-256", "sha256=\(tag.uppercased())")]) == nil)
    }

    @Test func hubSignatureFailures() throws {
        let tag = try OpenSSLHMAC.hexTag(key: Self.secret, data: Self.body)
        let otherTag = try OpenSSLHMAC.hexTag(key: "another secret", data: Self.body)
        let header = "X-Hub-Signature-256"
        let cases: [(fields: [(String, String)], code: String)] = [
            ([], "signature_missing"),
            ([(header, tag)], "signature_malformed"),
            ([(header, "sha1=\(tag)")], "signature_malformed"),
            ([(header, "sha256=\(tag.dropLast(2))")], "signature_malformed"),
            ([(header, "sha256=\(tag.dropLast(1))g")], "signature_malformed"),
            ([(header, "sha256=\(otherTag)")], "signature_mismatch"),
        ]
        for testCase in cases {
            let failure = Self.verify(Self.hub, testCase.fields)
            #expect(failure?.httpError.code == testCase.code, "\(testCase.fields)")
            #expect(failure?.httpError.status == 401)
        }
    }

    @Test func hubMismatchHidesSecretAndTag() throws {
        let otherTag = try OpenSSLHMAC.hexTag(key: "another secret", data: Self.body)
        let expected = try OpenSSLHMAC.hexTag(key: Self.secret, data: Self.body)
        let failure = try #require(Self.verify(Self.hub, [("X-Hub-Signature-256", "sha256=\(otherTag)")]))
        let message = failure.httpError.response(requestID: "r1").bodyText
        #expect(!message.contains(Self.secret))
        #expect(!message.contains(expected))
    }

    @Test func timestampedToleranceEdges() throws {
        let tag = try Self.timestampedTag(Self.t0)
        let value = "t=\(Self.t0),v1=\(tag)"
        let cases: [(now: Double, accepted: Bool)] = [
            (Double(Self.t0), true),
            (Double(Self.t0 + 300), true),
            (Double(Self.t0 - 300), true),
            (Double(Self.t0 + 300) + 0.5, false),
            (Double(Self.t0 + 301), false),
            (Double(Self.t0 - 301), false),
        ]
        for testCase in cases {
            let failure = Self.verify(Self.timestamped, [(Self.header, value)], now: testCase.now)
            if testCase.accepted {
                #expect(failure == nil, "now \(testCase.now)")
            } else {
                #expect(failure?.httpError.code == "signature_timestamp_out_of_tolerance", "now \(testCase.now)")
            }
        }
    }

    @Test func timestampedRotatedKeys() throws {
        let good = try Self.timestampedTag(Self.t0)
        let stale = try OpenSSLHMAC.hexTag(key: "old secret", data: Array("\(Self.t0).".utf8) + Self.body)
        #expect(Self.verify(Self.timestamped, [(Self.header, "t=\(Self.t0),v1=\(stale),v1=\(good)")]) == nil)
        #expect(Self.verify(Self.timestamped, [(Self.header, "t=\(Self.t0), v1=\(good), v0=abc")]) == nil)
        let failure = Self.verify(Self.timestamped, [(Self.header, "t=\(Self.t0),v1=\(stale)")])
        #expect(failure?.httpError.code == "signature_mismatch")
    }

    @Test func timestampedSignsTimestamp() throws {
        // The tag of another timestamp does not verify, even inside the tolerance.
        let tag = try Self.timestampedTag(Self.t0 - 10)
        let failure = Self.verify(Self.timestamped, [(Self.header, "t=\(Self.t0),v1=\(tag)")])
        #expect(failure?.httpError.code == "signature_mismatch")
    }

    @Test func timestampedMalformed() throws {
        let tag = try Self.timestampedTag(Self.t0)
        let cases: [String] = [
            "v1=\(tag)",
            "t=\(Self.t0)",
            "t=abc,v1=\(tag)",
            "t=-5,v1=\(tag)",
            "t=\(Self.t0),t=\(Self.t0),v1=\(tag)",
            "t=\(Self.t0),v1=xyz",
            "t=\(Self.t0);v1=\(tag)",
        ]
        for value in cases {
            let failure = Self.verify(Self.timestamped, [(Self.header, value)])
            #expect(failure?.httpError.code == "signature_malformed", "\(value)")
        }
        #expect(Self.verify(Self.timestamped, [])?.httpError.code == "signature_missing")
    }

    @Test func noneAcceptsUnsigned() {
        #expect(Self.verify(.none, []) == nil)
    }
}
