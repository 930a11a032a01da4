import Foundation
import Testing
import TrellisTestSupport
import TrellisCore
import TrellisDecorators

@Suite struct AuthIntegrationTests {
    static let secret = "integration-test-secret-0123456789abcdef"
    static let apiKey = "it-key-5f1c0d"
    static var config: String {
        """
        {"defaults": {"decorators": [{"type": "logging"}]},
         "functions": {
           "profile": {"decorators": [{"type": "jwt", "algorithm": "HS256", "secret": "\(secret)", "issuer": "it"}]},
           "stats": {"decorators": [{"type": "apiKey", "header": "X-API-Key",
                                     "keys": [{"id": "ci", "sha256": "\(Digest.hex(Digest.sha256(apiKey)))"},
                                              {"id": "ops", "env": "IT_OPS_KEY"}]}]}}}
        """
    }
    static let environment = ["IT_OPS_KEY": "ops-key-from-env"]
    static let statsBody = #"{"values": [1, 2, 3]}"#

    /// Signs a compact JWS with HMAC-SHA256 under `key`, whatever `alg` the header claims.
    static func token(header: String = #"{"alg":"HS256","typ":"JWT"}"#, claims: String, key: String = secret) -> String {
        let signingInput = Base64URL.encode(header) + "." + Base64URL.encode(claims)
        let signature = Digest.hmacSHA256(key: Array(key.utf8), data: Array(signingInput.utf8))
        return signingInput + "." + Base64URL.encode(signature)
    }

    static var now: Int { Int(Date().timeIntervalSince1970) }

    @Test func apiKeyMissingWrongAndValid() async throws {
        try await withGateway(config: Self.config, environment: Self.environment) { (gateway: RunningGateway) async throws in
            let missing = try await TestClient.request(port: gateway.port, "POST", "/function/stats", body: Self.statsBody)
            #expect(missing.status == 401)
            #expect(missing.header("WWW-Authenticate") == #"Bearer realm="trellis""#)
            let missingBody = try JSON.parse(missing.body)
            #expect(missingBody["error"] == "missing_credentials")
            #expect(missingBody["message"]?.stringValue?.contains("X-API-Key") == true)

            let wrong = try await TestClient.request(
                port: gateway.port, "POST", "/function/stats", headers: [("X-API-Key", "not-the-key")], body: Self.statsBody)
            #expect(wrong.status == 401)
            #expect(wrong.header("WWW-Authenticate")?.contains(#"error="invalid_token""#) == true)

            let viaHeader = try await TestClient.request(
                port: gateway.port, "POST", "/function/stats", headers: [("X-API-Key", Self.apiKey)], body: Self.statsBody)
            #expect(viaHeader.status == 200)
            #expect(try JSON.parse(viaHeader.body)["mean"] == 2)

            let viaBearer = try await TestClient.request(
                port: gateway.port, "POST", "/function/stats", headers: [("Authorization", "Bearer ops-key-from-env")],
                body: Self.statsBody)
            #expect(viaBearer.status == 200)

            let principals = gateway.logLines.filter { $0["msg"] == "invocation" }.map { $0["principal"] ?? .null }
            #expect(principals == [.null, .null, "ci", "ops"])
        }
    }

    @Test func validJWTReachesHandlerWithClaims() async throws {
        try await withGateway(config: Self.config, environment: Self.environment) { (gateway: RunningGateway) async throws in
            let token = Self.token(claims: #"{"sub":"ada","name":"Ada","iss":"it","scope":"read write","exp":\#(Self.now + 600)}"#)
            let response = try await TestClient.request(
                port: gateway.port, "GET", "/function/profile", headers: [("Authorization", "Bearer \(token)")])
            #expect(response.status == 200)
            let body = try JSON.parse(response.body)
            #expect(body["subject"] == "ada")
            #expect(body["greeting"] == "Hello, Ada!")
            #expect(body["scopes"] == ["read", "write"])
        }
    }

    @Test(arguments: [
        ("alg none", #"{"alg":"none","typ":"JWT"}"#, "exp", 600, secret),
        ("alg NoNe", #"{"alg":"NoNe"}"#, "exp", 600, secret),
        ("other alg", #"{"alg":"HS512"}"#, "exp", 600, secret),
        ("RS256 claimed", #"{"alg":"RS256"}"#, "exp", 600, secret),
        ("bad signature", #"{"alg":"HS256"}"#, "exp", 600, "another-secret-of-enough-length-000000"),
        ("expired", #"{"alg":"HS256"}"#, "exp", -120, secret),
        ("future nbf", #"{"alg":"HS256"}"#, "nbf", 600, secret),
    ])
    func badJWTGets401(label: String, header: String, claim: String, offset: Int, key: String) async throws {
        try await withGateway(config: Self.config, environment: Self.environment) { (gateway: RunningGateway) async throws in
            var claims = #"{"sub":"mallory","iss":"it","\#(claim)":\#(Self.now + offset)"#
            if claim != "exp" { claims += #","exp":\#(Self.now + 3600)"# }
            claims += "}"
            var token = Self.token(header: header, claims: claims, key: key)
            if label == "alg none" { token = String(token[..<token.lastIndex(of: ".")!]) + "." }
            let response = try await TestClient.request(
                port: gateway.port, "GET", "/function/profile", headers: [("Authorization", "Bearer \(token)")])
            #expect(response.status == 401, "\(label): \(response.text)")
            #expect(response.header("WWW-Authenticate")?.hasPrefix("Bearer") == true, "\(label)")
            let text = gateway.logs.jsonLines.joined(separator: "\n")
            #expect(!text.contains(token), "\(label): the token reached the log")
        }
    }
}
