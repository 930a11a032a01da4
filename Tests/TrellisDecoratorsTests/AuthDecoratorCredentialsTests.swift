import Testing
import TrellisCore
@testable import TrellisDecorators

@Suite struct AuthDecoratorCredentialsTests {
    /// `Authorization` values and the token they carry; nil is a request without bearer credentials.
    @Test(arguments: [
        ("Bearer abc", "abc"), ("bearer abc", "abc"), ("BEARER abc", "abc"), ("BeArEr abc", "abc"),
        ("  Bearer \t abc \t ", "abc"), ("Bearer a.b-c_d~e+f/g=", "a.b-c_d~e+f/g="),
        ("Bearer \u{00E9}t\u{00E9}", "\u{00E9}t\u{00E9}"),
        ("Bearer ab1234567890123456789012345678901234567890", "ab1234567890123456789012345678901234567890"),
        ("Basic dXNlcjpwYXNz", nil), ("Bearerabc", nil), ("Bear abc", nil), ("Bearers abc", nil),
        ("B\u{00C9}arer abc", nil), ("", nil),
    ] as [(String, String?)])
    func tokenFromValue(value: String, token: String?) throws {
        let headers = Headers([("Authorization", value)])
        #expect(try AuthDecoratorCredentials.bearerToken(in: headers) == token)
    }

    @Test func absentFieldHasNoToken() throws {
        #expect(try AuthDecoratorCredentials.bearerToken(in: Headers([("X-Api-Key", "k")])) == nil)
    }

    @Test(arguments: [
        ("Bearer", "invalid_credentials"), ("Bearer   ", "invalid_credentials"), ("Bearer a b", "invalid_credentials"),
        ("Bearer a\tb", "invalid_credentials"),
    ])
    func malformedBearerThrows(value: String, code: String) {
        let headers = Headers([("authorization", value)])
        do {
            _ = try AuthDecoratorCredentials.bearerToken(in: headers)
            Issue.record("the malformed value was accepted")
        } catch {
            #expect(error.code == code)
        }
    }

    @Test func repeatedFieldThrows() {
        let headers = Headers([("Authorization", "Bearer a"), ("AUTHORIZATION", "Basic b")])
        do {
            _ = try AuthDecoratorCredentials.bearerToken(in: headers)
            Issue.record("a repeated Authorization field was accepted")
        } catch {
            #expect(error.kind == .invalidRequest)
            #expect(error.code == "ambiguous_credentials")
        }
    }
}
