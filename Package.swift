// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "Trellis",
    products: [
        .executable(name: "trellis", targets: ["trellis"]),
        .library(name: "TrellisCore", targets: ["TrellisCore"]),
    ],
    targets: [
        // C libraries from Debian, wrapped as module maps. `make deps` installs the -dev packages.
        .systemLibrary(name: "CUV", path: "Sources/CUV", pkgConfig: "libuv", providers: [.apt(["libuv1-dev"])]),
        .systemLibrary(name: "CJansson", path: "Sources/CJansson", pkgConfig: "jansson", providers: [.apt(["libjansson-dev"])]),
        .systemLibrary(name: "CCrypto", path: "Sources/CCrypto", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CSQLite", path: "Sources/CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),

        // Request, response, context, the decorator protocol, the function registry, JSON, logging, metrics.
        .target(name: "TrellisCore", dependencies: ["CJansson"]),
        // The strict incremental HTTP/1.1 request parser. Pure Swift, no I/O.
        .target(name: "TrellisHTTP"),
        // Built-in decorators: logging, auth (API keys, JWT), rate limiting.
        .target(name: "TrellisDecorators", dependencies: ["TrellisCore", "CCrypto"]),
        // The runtime config, chain assembly and the invoker shared by the gateway and `trellis invoke`.
        .target(name: "TrellisRuntime", dependencies: ["TrellisCore", "TrellisDecorators"]),
        // The durable event queue: an interface, and its embedded SQLite implementation.
        .target(name: "TrellisQueue", dependencies: ["TrellisCore", "CSQLite"]),
        // Event triggers (schedule, file, webhook, queue), the batcher and its workers.
        .target(name: "TrellisTriggers", dependencies: ["TrellisCore", "TrellisDecorators", "TrellisRuntime", "TrellisQueue", "CUV"]),
        // The libuv HTTP server, routing and built-in endpoints.
        .target(name: "TrellisGateway", dependencies: ["TrellisCore", "TrellisHTTP", "TrellisRuntime", "TrellisTriggers", "CUV"]),
        // The user's functions. `trellis` links them in.
        .target(name: "Functions", dependencies: ["TrellisCore", "TrellisDecorators"], path: "functions"),
        .executableTarget(name: "trellis", dependencies: ["TrellisGateway", "TrellisRuntime", "TrellisTriggers", "TrellisQueue", "Functions"]),
        // Microbenchmarks of the gateway's building blocks; `make bench` runs them.
        .executableTarget(
            name: "trellis-bench", dependencies: ["TrellisCore", "TrellisHTTP", "TrellisDecorators", "TrellisRuntime"],
            path: "bench/micro"),

        // A socket client shared by the gateway and integration tests.
        .target(name: "TrellisTestSupport", path: "Tests/TrellisTestSupport"),
        .testTarget(name: "TrellisCoreTests", dependencies: ["TrellisCore"]),
        .testTarget(name: "TrellisHTTPTests", dependencies: ["TrellisHTTP", "TrellisTestSupport"], resources: [.copy("Corpus")]),
        .testTarget(name: "TrellisDecoratorsTests", dependencies: ["TrellisDecorators", "TrellisCore"]),
        .testTarget(name: "TrellisRuntimeTests", dependencies: ["TrellisRuntime", "Functions"]),
        .testTarget(
            name: "TrellisGatewayTests", dependencies: ["TrellisGateway", "TrellisRuntime", "Functions", "TrellisTestSupport"]),
        .testTarget(name: "FunctionsTests", dependencies: ["Functions", "TrellisRuntime"]),
        .testTarget(name: "TrellisQueueTests", dependencies: ["TrellisQueue", "TrellisCore"]),
        .testTarget(
            name: "TrellisTriggersTests",
            dependencies: ["TrellisTriggers", "TrellisQueue", "TrellisRuntime", "TrellisCore", "TrellisTestSupport"]),
        .testTarget(
            name: "IntegrationTests",
            dependencies: [
                "TrellisGateway", "TrellisRuntime", "TrellisDecorators", "TrellisCore", "Functions", "TrellisTestSupport",
                "TrellisQueue", "TrellisTriggers",
            ]),
    ]
)
