import Testing
import TrellisCore
import TrellisDecorators

private let ciKey = "ci-key-7f3a9c2e51b84d06"
private let devKey = "dev-key-0c9b1e7d44a2f835"
/// SHA-256 of `ciKey`, from `printf %s ci-key-7f3a9c2e51b84d06 | sha256sum`.
private let ciKeyHash = "b78d5737173fb597b56b775fd7b233d61ef5da978aca1611eb0bd97811fbfc8d"

private func settings(_ members: [(key: String, value: JSON)], path: String = "functions.hello.decorators[0]") -> DecoratorSettings {
    DecoratorSettings(path: path, object: [(key: "type", value: "apiKey")] + members)
}

private func keysSetting(ciHash: String, scopes: [String] = ["deploy"]) -> (key: String, value: JSON) {
    (key: "keys", value: [
        ["id": "ci", "sha256": .string(ciHash), "scopes": .array(scopes.map { .string($0) })],
        ["id": "dev", "env": "TRELLIS_DEV_KEY"],
    ])
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

@Suite struct APIKeyDecoratorTests {
    /// The decorator built from config with both keys, and the support object whose metrics it uses.
    private func configured(
        _ extra: [(key: String, value: JSON)] = [], scopes: [String] = ["deploy"]
    ) throws -> (APIKeyDecorator, AuthDecoratorTestSupport) {
        let support = AuthDecoratorTestSupport()
        let decorator = try APIKeyDecorator.makeDecorator(
            settings([keysSetting(ciHash: ciKeyHash, scopes: scopes)] + extra), support.environment(["TRELLIS_DEV_KEY": devKey]))
        return (decorator, support)
    }

    @Test func missingKeyGets401WithoutErrorAttribute() async throws {
        let (decorator, support) = try configured()
        let (response, principal) = await support.run(decorator, headers: [])
        #expect(response.status == 401)
        #expect(response.headers["WWW-Authenticate"] == #"Bearer realm="trellis""#)
        #expect(AuthDecoratorTestSupport.errorCode(response) == "missing_credentials")
        #expect(principal == nil)
    }

    @Test func wrongKeyGets401() async throws {
        let (decorator, support) = try configured()
        let (response, principal) = await support.run(decorator, headers: [("Authorization", "Bearer not-a-key")])
        #expect(response.status == 401)
        #expect(AuthDecoratorTestSupport.errorCode(response) == "invalid_credentials")
        #expect(response.headers["WWW-Authenticate"]?.contains(#"error="invalid_token""#) == true)
        #expect(principal == nil)
    }

    @Test func upperCaseHashAccepted() async throws {
        let support = AuthDecoratorTestSupport()
        let decorator = try APIKeyDecorator(keys: [try APIKey(id: "ci", sha256Hex: ciKeyHash.uppercased())])
        let (response, principal) = await support.run(decorator, headers: [("Authorization", "Bearer \(ciKey)")])
        #expect(response.status == 200)
        #expect(principal?.id == "ci")
    }

    @Test func rightKeySetsPrincipal() async throws {
        let (decorator, support) = try configured()
        for scheme in ["Bearer", "bearer", "BEARER"] {
            let (response, principal) = await support.run(decorator, headers: [("Authorization", "\(scheme) \(ciKey)")])
            #expect(response.status == 200, "scheme \(scheme)")
            #expect(principal == Principal(id: "ci", scheme: "apiKey"))
        }
    }

    @Test func environmentKeyAccepted() async throws {
        let (decorator, support) = try configured()
        let (response, principal) = await support.run(decorator, headers: [("Authorization", "Bearer \(devKey)")])
        #expect(response.status == 200)
        #expect(principal?.id == "dev")
    }

    @Test func configuredHeaderAccepted() async throws {
        let (decorator, support) = try configured([(key: "header", value: "X-API-Key")])
        let (response, principal) = await support.run(decorator, headers: [("x-api-key", devKey)])
        #expect(response.status == 200)
        #expect(principal?.id == "dev")

        let (both, _) = await support.run(decorator, headers: [("X-API-Key", devKey), ("Authorization", "Bearer \(ciKey)")])
        #expect(both.status == 400)
        let (twice, _) = await support.run(decorator, headers: [("X-API-Key", devKey), ("X-API-Key", devKey)])
        #expect(twice.status == 400)
        let (empty, _) = await support.run(decorator, headers: [("X-API-Key", "")])
        #expect(empty.status == 401)
    }

    /// The field values are read in place. Spaces around the key, another Authorization scheme and the
    /// order of the failures must stay as if the Bearer token were read first and the configured field second.
    @Test func presentedKeyEdgeCases() async throws {
        let (decorator, support) = try configured([(key: "header", value: "X-API-Key")])
        let cases: [(headers: [(String, String)], status: Int, code: String?)] = [
            ([("X-API-Key", " \t\(devKey) \t")], 200, nil),
            ([("Authorization", "bEaReR   \(ciKey)  ")], 200, nil),
            ([("Authorization", "Basic Y2k6a2V5"), ("X-API-Key", devKey)], 200, nil),
            ([("X-API-Key", " \t ")], 401, "invalid_credentials"),
            ([("Authorization", "Bearer a b")], 401, "invalid_credentials"),
            ([("X-API-Key", devKey), ("X-API-Key", devKey), ("Authorization", "Bearer ")], 401, "invalid_credentials"),
            ([("X-API-Key", devKey), ("X-API-Key", devKey), ("Authorization", "Bearer x"), ("authorization", "Bearer x")], 400, "ambiguous_credentials"),
            ([("Authorization", "Bearer \(ciKey)x")], 401, "invalid_credentials"),
        ]
        for (headers, status, code) in cases {
            let (response, _) = await support.run(decorator, headers: headers)
            #expect(response.status == status, "\(headers)")
            if let code { #expect(AuthDecoratorTestSupport.errorCode(response) == code, "\(headers)") }
        }
        let (repeated, _) = await support.run(decorator, headers: [("X-API-Key", devKey), ("Authorization", "Bearer x"), ("Authorization", "Bearer y")])
        #expect(repeated.headers["WWW-Authenticate"]?.contains("Authorization field was sent more than once") == true)
    }

    /// Invalid UTF-8 in a field value reaches the decorator as U+FFFD, so a key containing it cannot
    /// be the client's bytes: it is rejected on the wire and in the configuration.
    @Test func replacementCharacterKeyRejected() async throws {
        let (decorator, support) = try configured([(key: "header", value: "X-API-Key")])
        for headers in [[("X-API-Key", "a\u{FFFD}b")], [("Authorization", "Bearer \u{FFFD}")]] {
            let (response, principal) = await support.run(decorator, headers: headers)
            #expect(response.status == 401, "\(headers)")
            #expect(AuthDecoratorTestSupport.errorCode(response) == "invalid_credentials")
            #expect(response.headers["WWW-Authenticate"]?.contains("not valid UTF-8") == true)
            #expect(principal == nil)
        }
        #expect(throws: ConfigError.self) { try APIKey(id: "bad", key: "k\u{FFFD}\u{FFFD}") }
        #expect(try APIKey(id: "good", key: "ключ-é").digest == Digest.sha256("ключ-é"))
    }

    @Test func headerIgnoredWhenNotConfigured() async throws {
        let (decorator, support) = try configured()
        let (response, _) = await support.run(decorator, headers: [("X-API-Key", devKey)])
        #expect(response.status == 401)
        #expect(AuthDecoratorTestSupport.errorCode(response) == "missing_credentials")
    }

    @Test func missingScopeGets403() async throws {
        let (decorator, support) = try configured([(key: "requiredScopes", value: ["deploy"])])
        let (denied, principal) = await support.run(decorator, headers: [("Authorization", "Bearer \(devKey)")])
        #expect(denied.status == 403)
        #expect(AuthDecoratorTestSupport.errorCode(denied) == "insufficient_scope")
        #expect(denied.headers["WWW-Authenticate"] == #"Bearer realm="trellis", error="insufficient_scope", error_description="The API key lacks a required scope", scope="deploy""#)
        #expect(principal == nil)

        let (allowed, _) = await support.run(decorator, headers: [("Authorization", "Bearer \(ciKey)")])
        #expect(allowed.status == 200)
    }

    @Test func oversizedKeyGets401() async throws {
        let (decorator, support) = try configured([(key: "maxKeyBytes", value: 64)])
        let (response, _) = await support.run(decorator, headers: [("Authorization", "Bearer " + String(repeating: "k", count: 65))])
        #expect(response.status == 401)
        #expect(response.headers["WWW-Authenticate"]?.contains("longer than 64 bytes") == true)
        #expect(decorator.maxKeyBytes == 64)
        #expect(try configured().0.maxKeyBytes == APIKeyDecorator.defaultMaxKeyBytes)
    }

    @Test func metricsCountSuccessesAndFailures() async throws {
        let (decorator, support) = try configured()
        _ = await support.run(decorator, headers: [("Authorization", "Bearer \(ciKey)")])
        _ = await support.run(decorator, headers: [("Authorization", "Bearer wrong")])
        let text = support.metrics.render()
        #expect(text.contains(#"trellis_auth_successes_total{function="hello",decorator="apiKey"} 1"#))
        #expect(text.contains(#"trellis_auth_failures_total{function="hello",decorator="apiKey",reason="invalid_credentials"} 1"#))
        #expect(text.contains(#"trellis_auth_failures_total{function="hello",decorator="apiKey",reason="missing_credentials"} 0"#))
    }

    @Test func sharedChainLabelsRequestFunction() async throws {
        let support = AuthDecoratorTestSupport()
        let decorator = try APIKeyDecorator(keys: [try APIKey(id: "ci", key: ciKey)], metrics: support.metrics, functionName: nil)
        _ = await support.run(decorator, headers: [("Authorization", "Bearer \(ciKey)")])
        #expect(support.metrics.render().contains(#"trellis_auth_successes_total{function="hello",decorator="apiKey"} 1"#))
    }

    @Test func logNeverContainsKey() async throws {
        let (decorator, support) = try configured()
        let wrong = "wrong-key-5d1e88c0a7"
        let (failed, _) = await support.run(decorator, headers: [("Authorization", "Bearer \(wrong)")])
        let (passed, _) = await support.run(decorator, headers: [("Authorization", "Bearer \(ciKey)")])
        #expect(failed.status == 401)
        #expect(passed.status == 200)
        #expect(support.sink.all.count >= 2)
        for key in [wrong, ciKey, devKey] {
            #expect(!support.logText.contains(key))
            #expect(!failed.bodyText.contains(key))
        }
    }

    // MARK: Config

    struct ConfigCase: Sendable, CustomTestStringConvertible {
        let label: String
        let members: [(key: String, value: JSON)]
        let environment: [String: String]
        let field: String
        let mentions: String
        var testDescription: String { label }
    }

    static let goodHash = String(repeating: "ab", count: 32)

    static let configCases: [ConfigCase] = [
        ConfigCase(label: "missing env var", members: [(key: "keys", value: [["id": "dev", "env": "TRELLIS_DEV_KEY"]])],
                   environment: [:], field: "keys[0].env", mentions: "TRELLIS_DEV_KEY"),
        ConfigCase(label: "empty env var", members: [(key: "keys", value: [["id": "dev", "env": "TRELLIS_DEV_KEY"]])],
                   environment: ["TRELLIS_DEV_KEY": ""], field: "keys[0].env", mentions: "TRELLIS_DEV_KEY"),
        ConfigCase(label: "short sha256", members: [(key: "keys", value: [["id": "ci", "sha256": "abc123"]])],
                   environment: [:], field: "keys[0].sha256", mentions: "64 hex digits"),
        ConfigCase(label: "non-hex sha256", members: [(key: "keys", value: [["id": "ci", "sha256": .string(String(repeating: "zz", count: 32))]])],
                   environment: [:], field: "keys[0].sha256", mentions: "64 hex digits"),
        ConfigCase(label: "unknown decorator field", members: [(key: "keys", value: [["id": "ci", "sha256": .string(goodHash)]]), (key: "headers", value: "X")],
                   environment: [:], field: "headers", mentions: "not a known setting"),
        ConfigCase(label: "unknown key field", members: [(key: "keys", value: [["id": "ci", "sha256": .string(goodHash), "scope": ["a"]]])],
                   environment: [:], field: "keys[0].scope", mentions: "not a known setting"),
        ConfigCase(label: "missing keys", members: [],
                   environment: [:], field: "keys", mentions: "required"),
        ConfigCase(label: "empty keys", members: [(key: "keys", value: [])],
                   environment: [:], field: "keys", mentions: "non-empty"),
        ConfigCase(label: "missing id", members: [(key: "keys", value: [["sha256": .string(goodHash)]])],
                   environment: [:], field: "keys[0].id", mentions: "required"),
        ConfigCase(label: "both sources", members: [(key: "keys", value: [["id": "ci", "sha256": .string(goodHash), "env": "K"]])],
                   environment: ["K": "value"], field: "keys[0].env", mentions: "exactly one"),
        ConfigCase(label: "duplicate id", members: [(key: "keys", value: [["id": "ci", "sha256": .string(goodHash)], ["id": "ci", "env": "K"]])],
                   environment: ["K": "value"], field: "keys[1].id", mentions: "already"),
        ConfigCase(label: "duplicate key", members: [(key: "keys", value: [["id": "a", "env": "K"], ["id": "b", "env": "K"]])],
                   environment: ["K": "value"], field: "keys[1]", mentions: "same key"),
        ConfigCase(label: "Authorization as header", members: [(key: "keys", value: [["id": "ci", "sha256": .string(goodHash)]]), (key: "header", value: "Authorization")],
                   environment: [:], field: "header", mentions: "other than Authorization"),
        ConfigCase(label: "maxKeyBytes out of range", members: [(key: "keys", value: [["id": "ci", "sha256": .string(goodHash)]]), (key: "maxKeyBytes", value: 0)],
                   environment: [:], field: "maxKeyBytes", mentions: "between"),
    ]

    @Test(arguments: configCases)
    func configErrorsNameField(row: ConfigCase) throws {
        let support = AuthDecoratorTestSupport()
        let error = try #require(configError { _ = try APIKeyDecorator.make(settings(row.members), support.environment(row.environment)) })
        #expect(error.field == "functions.hello.decorators[0].\(row.field)")
        #expect(error.message.contains(row.mentions), "\(error.message)")
        #expect(!error.description.contains("value"))
    }

    @Test func factoryNameAndType() throws {
        let (decorator, _) = try configured()
        #expect(decorator.name == "apiKey")
        #expect(APIKeyDecorator.configType == "apiKey")
        #expect(JWTDecorator.configType == "jwt")
    }
}
