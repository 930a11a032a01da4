import Foundation
import Testing
import TrellisCore
@testable import TrellisDecorators

private let now: Int64 = 1_700_000_000

private func token(_ extra: [(key: String, value: JSON)] = [], exp: Int64 = now + 600) -> String {
    let claims = JSON.object([(key: "sub", value: "alice"), (key: "exp", value: .int(exp))] + extra)
    return JWTTestSigner.token(alg: "HS256", claims: claims, signature: .hs256(secret: JWTTestSigner.hmacSecret))
}

private func decorator(
    requiredClaims: [(key: String, value: JSON)] = [], requiredScopes: [String] = [], principalClaim: String = "sub",
    metrics: MetricsRegistry? = nil
) throws -> JWTDecorator {
    let verifier = try JWTVerifier(
        algorithm: .hs256, key: try JWTVerificationKey.hmac(secret: JWTTestSigner.hmacSecret), clock: { now })
    return try JWTDecorator(
        verifier: verifier, requiredClaims: requiredClaims, requiredScopes: requiredScopes,
        principalClaim: principalClaim, metrics: metrics, functionName: AuthDecoratorTestSupport.functionName)
}

private func settings(_ members: [(key: String, value: JSON)]) -> DecoratorSettings {
    DecoratorSettings(path: "functions.hello.decorators[0]", object: [(key: "type", value: "jwt")] + members)
}

private func configError(_ body: () throws -> Void) -> ConfigError? {
    do {
        try body()
        return nil
    } catch let error as ConfigError {
        return error
    } catch {
        return nil
    }
}

@Suite struct JWTDecoratorTests {
    @Test func noCredentialsGet401WithoutErrorAttribute() async throws {
        let support = AuthDecoratorTestSupport()
        let (response, principal) = await support.run(try decorator(), headers: [])
        #expect(response.status == 401)
        #expect(response.headers["WWW-Authenticate"] == #"Bearer realm="trellis""#)
        #expect(AuthDecoratorTestSupport.errorCode(response) == "missing_credentials")
        #expect(principal == nil)
    }

    @Test func otherSchemeCountsAsMissing() async throws {
        let support = AuthDecoratorTestSupport()
        let (response, _) = await support.run(try decorator(), headers: [("Authorization", "Basic YWxpY2U6c2VjcmV0")])
        #expect(response.status == 401)
        #expect(response.headers["WWW-Authenticate"] == #"Bearer realm="trellis""#)
    }

    @Test func validTokenSetsPrincipalAndClaims() async throws {
        let support = AuthDecoratorTestSupport()
        let (response, principal) = await support.run(
            try decorator(), headers: [("Authorization", "bEaReR " + token([(key: "tenant", value: "acme")]))])
        #expect(response.status == 200)
        let seen = try #require(principal)
        #expect(seen.id == "alice")
        #expect(seen.scheme == "jwt")
        #expect(seen.claims["tenant"] == "acme")
    }

    @Test func invalidTokenGets401WithInvalidToken() async throws {
        let support = AuthDecoratorTestSupport()
        let (response, principal) = await support.run(try decorator(), headers: [("Authorization", "Bearer abc.def.ghi")])
        #expect(response.status == 401)
        #expect(AuthDecoratorTestSupport.errorCode(response) == "invalid_credentials")
        let challenge = try #require(response.headers["WWW-Authenticate"])
        #expect(challenge.hasPrefix(#"Bearer realm="trellis", error="invalid_token", error_description=""#))
        #expect(principal == nil)
    }

    @Test func expiredTokenGetsTokenExpired() async throws {
        let support = AuthDecoratorTestSupport()
        let (response, _) = await support.run(try decorator(), headers: [("Authorization", "Bearer " + token(exp: now - 3600))])
        #expect(response.status == 401)
        #expect(AuthDecoratorTestSupport.errorCode(response) == "token_expired")
    }

    @Test func duplicateAuthorizationGets400() async throws {
        let support = AuthDecoratorTestSupport()
        let (response, _) = await support.run(
            try decorator(), headers: [("Authorization", "Bearer " + token()), ("authorization", "Bearer " + token())])
        #expect(response.status == 400)
        #expect(response.headers["WWW-Authenticate"]?.contains(#"error="invalid_request""#) == true)
    }

    @Test func missingScopeGets403() async throws {
        let support = AuthDecoratorTestSupport()
        let guarded = try decorator(requiredScopes: ["deploy", "read"])
        let (denied, principal) = await support.run(guarded, headers: [("Authorization", "Bearer " + token([(key: "scope", value: "read write")]))])
        #expect(denied.status == 403)
        #expect(AuthDecoratorTestSupport.errorCode(denied) == "insufficient_scope")
        #expect(denied.headers["WWW-Authenticate"]?.contains(#"error="insufficient_scope""#) == true)
        #expect(denied.headers["WWW-Authenticate"]?.contains(#"scope="deploy read""#) == true)
        #expect(principal == nil)

        let (fromScope, _) = await support.run(guarded, headers: [("Authorization", "Bearer " + token([(key: "scope", value: "read deploy")]))])
        #expect(fromScope.status == 200)
        let (fromScp, _) = await support.run(guarded, headers: [("Authorization", "Bearer " + token([(key: "scp", value: ["deploy", "read"])]))])
        #expect(fromScp.status == 200)
    }

    @Test func requiredClaimsChecked() async throws {
        let support = AuthDecoratorTestSupport()
        let guarded = try decorator(requiredClaims: [(key: "role", value: "admin")])
        let rows: [(JSON?, Int)] = [("admin", 200), ("user", 403), (["user", "admin"], 200), (nil, 403), (1, 403)]
        for (role, status) in rows {
            let extra: [(key: String, value: JSON)] = role.map { [(key: "role", value: $0)] } ?? []
            let (response, _) = await support.run(guarded, headers: [("Authorization", "Bearer " + token(extra))])
            #expect(response.status == status, "role \(role?.serialized() ?? "absent")")
        }
    }

    @Test func principalFromConfiguredClaim() async throws {
        let support = AuthDecoratorTestSupport()
        let (response, principal) = await support.run(
            try decorator(principalClaim: "email"), headers: [("Authorization", "Bearer " + token([(key: "email", value: "a@example.com")]))])
        #expect(response.status == 200)
        #expect(principal?.id == "a@example.com")

        let (missing, _) = await support.run(try decorator(principalClaim: "email"), headers: [("Authorization", "Bearer " + token())])
        #expect(missing.status == 401)
    }

    @Test func metricsCountSuccessesAndFailures() async throws {
        let support = AuthDecoratorTestSupport()
        let guarded = try decorator(metrics: support.metrics)
        _ = await support.run(guarded, headers: [("Authorization", "Bearer " + token())])
        _ = await support.run(guarded, headers: [("Authorization", "Bearer " + token(exp: now - 3600))])
        _ = await support.run(guarded, headers: [("Authorization", "Bearer " + token(exp: now - 3600))])
        _ = await support.run(guarded, headers: [])
        let text = support.metrics.render()
        #expect(text.contains(#"trellis_auth_successes_total{function="hello",decorator="jwt"} 1"#))
        #expect(text.contains(#"trellis_auth_failures_total{function="hello",decorator="jwt",reason="token_expired"} 2"#))
        #expect(text.contains(#"trellis_auth_failures_total{function="hello",decorator="jwt",reason="missing_credentials"} 1"#))
    }

    @Test func logNeverContainsToken() async throws {
        let support = AuthDecoratorTestSupport()
        let guarded = try decorator()
        let good = token()
        let bad = token(exp: now - 3600)
        let (failed, _) = await support.run(guarded, headers: [("Authorization", "Bearer " + bad)])
        let (passed, _) = await support.run(guarded, headers: [("Authorization", "Bearer " + good)])
        #expect(failed.status == 401)
        #expect(passed.status == 200)
        #expect(support.sink.all.count >= 2)
        for secret in [good, bad] {
            for segment in secret.split(separator: ".") {
                #expect(!support.logText.contains(segment))
                #expect(!failed.bodyText.contains(segment))
                #expect(failed.headers["WWW-Authenticate"]?.contains(segment) == false)
            }
        }
    }

    // MARK: Config

    @Test func configHS256FromSecretEnv() async throws {
        let support = AuthDecoratorTestSupport()
        let secret = String(decoding: JWTTestSigner.hmacSecret, as: UTF8.self)
        let built = try JWTDecorator.make(
            settings([(key: "algorithm", value: "HS256"), (key: "secretEnv", value: "JWT_SECRET"), (key: "leewaySeconds", value: 0)]),
            support.environment(["JWT_SECRET": secret]), clock: { now })
        #expect(built.name == "jwt(HS256)")
        #expect(built.verifier.leewaySeconds == 0)
        let (response, _) = await support.run(built, headers: [("Authorization", "Bearer " + token())])
        #expect(response.status == 200)
    }

    @Test func configHS256FromSecretFileDropsNewline() async throws {
        let support = AuthDecoratorTestSupport()
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("trellis-jwt-\(UUID().uuidString).key").path
        try (String(decoding: JWTTestSigner.hmacSecret, as: UTF8.self) + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }

        let built = try JWTDecorator.make(
            settings([(key: "algorithm", value: "HS256"), (key: "secretFile", value: .string(path))]), support.environment(), clock: { now })
        let (response, _) = await support.run(built, headers: [("Authorization", "Bearer " + token())])
        #expect(response.status == 200)
    }

    @Test func configRS256FromPublicKeyFile() async throws {
        let support = AuthDecoratorTestSupport()
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("trellis-jwt-\(UUID().uuidString).pem").path
        try JWTTestSigner.rsa2048.publicKeyPEM.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }

        let built = try JWTDecorator.make(
            settings([(key: "algorithm", value: "RS256"), (key: "publicKeyFile", value: .string(path)), (key: "issuer", value: "idp")]),
            support.environment(), clock: { now })
        #expect(built.name == "jwt(RS256)")
        let claims: JSON = ["sub": "bob", "iss": "idp", "exp": .int(now + 60)]
        let good = JWTTestSigner.token(alg: "RS256", claims: claims, signature: .rs256(JWTTestSigner.rsa2048))
        let (response, principal) = await support.run(built, headers: [("Authorization", "Bearer " + good)])
        #expect(response.status == 200)
        #expect(principal?.id == "bob")
    }

    @Test func configES256FromPublicKeyEnv() async throws {
        let support = AuthDecoratorTestSupport()
        let built = try JWTDecorator.make(
            settings([(key: "algorithm", value: "ES256"), (key: "publicKeyEnv", value: "JWT_KEY"), (key: "requiredScopes", value: ["read"])]),
            support.environment(["JWT_KEY": JWTTestSigner.p256.publicKeyPEM]), clock: { now })
        let claims: JSON = ["sub": "carol", "scope": "read", "exp": .int(now + 60)]
        let good = JWTTestSigner.token(alg: "ES256", claims: claims, signature: .es256(JWTTestSigner.p256))
        let (response, _) = await support.run(built, headers: [("Authorization", "Bearer " + good)])
        #expect(response.status == 200)
    }

    struct ConfigCase: Sendable, CustomTestStringConvertible {
        let label: String
        let members: [(key: String, value: JSON)]
        let environment: [String: String]
        let field: String
        let mentions: String
        var testDescription: String { label }
    }

    static let shortSecret = "too-short-secret"

    static let configCases: [ConfigCase] = [
        ConfigCase(label: "short secret", members: [(key: "algorithm", value: "HS256"), (key: "secret", value: .string(shortSecret))],
                   environment: [:], field: "secret", mentions: "32 bytes"),
        ConfigCase(label: "short secret from env", members: [(key: "algorithm", value: "HS256"), (key: "secretEnv", value: "S")],
                   environment: ["S": shortSecret], field: "secretEnv", mentions: "32 bytes"),
        ConfigCase(label: "missing env var", members: [(key: "algorithm", value: "HS256"), (key: "secretEnv", value: "JWT_SECRET")],
                   environment: [:], field: "secretEnv", mentions: "JWT_SECRET"),
        ConfigCase(label: "empty env var", members: [(key: "algorithm", value: "HS256"), (key: "secretEnv", value: "JWT_SECRET")],
                   environment: ["JWT_SECRET": ""], field: "secretEnv", mentions: "JWT_SECRET"),
        ConfigCase(label: "unknown field", members: [(key: "algorithm", value: "HS256"), (key: "secret", value: .string(String(repeating: "s", count: 40))), (key: "leeway", value: 5)],
                   environment: [:], field: "leeway", mentions: "not a known setting"),
        ConfigCase(label: "unknown algorithm", members: [(key: "algorithm", value: "none")],
                   environment: [:], field: "algorithm", mentions: "HS256, RS256, ES256"),
        ConfigCase(label: "missing algorithm", members: [(key: "secret", value: .string(String(repeating: "s", count: 40)))],
                   environment: [:], field: "algorithm", mentions: "required"),
        ConfigCase(label: "secret with RS256", members: [(key: "algorithm", value: "RS256"), (key: "secret", value: .string(String(repeating: "s", count: 40)))],
                   environment: [:], field: "secret", mentions: "not used with RS256"),
        ConfigCase(label: "no key", members: [(key: "algorithm", value: "RS256")],
                   environment: [:], field: "publicKey", mentions: "exactly one"),
        ConfigCase(label: "two secret sources", members: [(key: "algorithm", value: "HS256"), (key: "secret", value: .string(String(repeating: "s", count: 40))), (key: "secretEnv", value: "X")],
                   environment: ["X": String(repeating: "s", count: 40)], field: "secretEnv", mentions: "exactly one"),
        ConfigCase(label: "missing key file", members: [(key: "algorithm", value: "ES256"), (key: "publicKeyFile", value: "/nonexistent/key.pem")],
                   environment: [:], field: "publicKeyFile", mentions: "/nonexistent/key.pem"),
        ConfigCase(label: "leeway out of range", members: [(key: "algorithm", value: "HS256"), (key: "secret", value: .string(String(repeating: "s", count: 40))), (key: "leewaySeconds", value: -1)],
                   environment: [:], field: "leewaySeconds", mentions: "between"),
        ConfigCase(label: "requiredClaims not object", members: [(key: "algorithm", value: "HS256"), (key: "secret", value: .string(String(repeating: "s", count: 40))), (key: "requiredClaims", value: ["role"])],
                   environment: [:], field: "requiredClaims", mentions: "object"),
        ConfigCase(label: "scope with space", members: [(key: "algorithm", value: "HS256"), (key: "secret", value: .string(String(repeating: "s", count: 40))), (key: "requiredScopes", value: ["a b"])],
                   environment: [:], field: "requiredScopes[0]", mentions: "spaces"),
    ]

    @Test(arguments: configCases)
    func configErrorsNameField(row: ConfigCase) throws {
        let support = AuthDecoratorTestSupport()
        let error = try #require(configError { _ = try JWTDecorator.make(settings(row.members), support.environment(row.environment)) })
        #expect(error.field == "functions.hello.decorators[0].\(row.field)")
        #expect(error.message.contains(row.mentions), "\(error.message)")
        #expect(!error.description.contains(Self.shortSecret))
    }

    @Test func configRejectsRSAKeyForES256() throws {
        let support = AuthDecoratorTestSupport()
        let error = try #require(configError {
            _ = try JWTDecorator.make(
                settings([(key: "algorithm", value: "ES256"), (key: "publicKey", value: .string(JWTTestSigner.rsa2048.publicKeyPEM))]),
                support.environment())
        })
        #expect(error.field == "functions.hello.decorators[0].publicKey")
    }
}
