import Foundation
import TrellisTestSupport
import Testing
import TrellisHTTP

/// One entry of `Corpus/requests.json`.
///
/// `request` contains raw bytes as a JSON string whose code points are the byte values 0 to 255 (`\r\n`
/// is CR LF, `\u00e9` is the single byte 0xE9). JSON keeps CR bytes intact, which a `.http` file in git
/// would not guarantee.
struct CorpusEntry: Decodable, Sendable {
    var name: String
    var request: String
    /// The status Trellis must reject the entry with, or nil when every request must parse.
    var status: Int?
    var code: String?
    /// Why Trellis deliberately disagrees with llhttp on this entry, or nil when both must agree.
    var differs: String?
    /// Overrides of `HTTPParserLimits` by property name, so limit entries stay small.
    var limits: [String: Int]?

    func requestBytes() throws -> [UInt8] {
        try request.unicodeScalars.map { scalar in
            guard scalar.value < 256 else { throw CorpusError.nonByteCodePoint(entry: name) }
            return UInt8(scalar.value)
        }
    }

    func parserLimits() throws -> HTTPParserLimits {
        var result = HTTPParserLimits()
        for (property, value) in limits ?? [:] {
            switch property {
            case "requestLineBytes": result.requestLineBytes = value
            case "headerBytes": result.headerBytes = value
            case "headerCount": result.headerCount = value
            case "bodyBytes": result.bodyBytes = value
            case "chunkExtensionBytes": result.chunkExtensionBytes = value
            default: throw CorpusError.unknownLimit(entry: name, property: property)
            }
        }
        return result
    }
}

enum CorpusError: Error {
    case nonByteCodePoint(entry: String)
    case unknownLimit(entry: String, property: String)
}

/// What llhttp or Trellis made of one entry, in the oracle's output format.
struct ParserVerdict: Decodable, Equatable, CustomStringConvertible {
    /// `complete`, `rejected`, `incomplete`, or `upgrade` (llhttp only: it stopped to hand over the
    /// connection).
    var outcome: String
    var messages: [Message]

    struct Message: Decodable, Equatable {
        var method: String
        var target: String
        var headers: [[String]]
        var body: String
    }

    var description: String {
        let summary = messages.map { "\($0.method) \($0.target) \($0.headers) body=\($0.body.utf8.count) bytes" }
        return "\(outcome) \(summary)"
    }
}

@Suite struct LLHTTPDifferentialTests {
    /// Loads the corpus, or records why it could not.
    private static func loadCorpus() throws -> (entries: [CorpusEntry], url: URL) {
        let url = try #require(
            Bundle.module.url(forResource: "requests", withExtension: "json", subdirectory: "Corpus"),
            "Corpus/requests.json is missing from the test bundle")
        let entries = try JSONDecoder().decode([CorpusEntry].self, from: Data(contentsOf: url))
        return (entries, url)
    }

    /// Runs `Corpus/llhttp_oracle.py` on the corpus and returns llhttp's verdict per entry name.
    private static func runOracle(corpus: URL) throws -> [String: ParserVerdict] {
        let script = try #require(
            Bundle.module.url(forResource: "llhttp_oracle", withExtension: "py", subdirectory: "Corpus"),
            "Corpus/llhttp_oracle.py is missing from the test bundle")

        let child = try ChildProcess(
            executable: "/usr/bin/env", arguments: ["python3", script.path, corpus.path],
            environment: ProcessInfo.processInfo.environment)
        child.closeInput()
        // Read standard error on another thread, so neither full pipe can block the oracle.
        nonisolated(unsafe) var errorBytes: [UInt8] = []
        let errorsRead = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            errorBytes = PipeReader.readToEnd(descriptor: child.errors)
            errorsRead.signal()
        }
        let outputData = Data(PipeReader.readToEnd(descriptor: child.output))
        errorsRead.wait()
        let errorData = Data(errorBytes)
        let terminationStatus = child.waitExit()

        let errorText = String(decoding: errorData, as: UTF8.self)
        try #require(
            terminationStatus == 0,
            """
            The llhttp oracle failed with exit status \(terminationStatus). It needs python3 and \
            the httptools package: run `pip install httptools`. Its error output: \(errorText)
            """)
        return try JSONDecoder().decode([String: ParserVerdict].self, from: outputData)
    }

    /// Parses the whole entry with Trellis and reports it in the oracle's format.
    private static func trellisVerdict(_ bytes: [UInt8], limits: HTTPParserLimits) -> (ParserVerdict, HTTPParseError?) {
        let outcome = parseRequests(bytes, limits: limits)
        let messages = outcome.requests.map { request in
            ParserVerdict.Message(
                method: request.method, target: request.target,
                headers: request.headers.map { [$0.name, $0.value] },
                body: String(decoding: request.body, as: UTF8.self))
        }
        let name = outcome.error != nil ? "rejected" : (outcome.insideRequest ? "incomplete" : "complete")
        return (ParserVerdict(outcome: name, messages: messages), outcome.error)
    }

    @Test func corpusMatchesLLHTTP() throws {
        let (entries, corpusURL) = try Self.loadCorpus()
        let oracle = try Self.runOracle(corpus: corpusURL)
        #expect(entries.count >= 40)
        #expect(Set(entries.map(\.name)).count == entries.count, "corpus entry names must be unique")

        for entry in entries {
            let llhttp = try #require(oracle[entry.name], "the oracle returned nothing for \(entry.name)")
            let (trellis, error) = Self.trellisVerdict(try entry.requestBytes(), limits: try entry.parserLimits())

            if let status = entry.status {
                #expect(error?.status == status, "\(entry.name): expected status \(status), got \(trellis)")
                #expect(error?.code == entry.code, "\(entry.name): expected code \(entry.code ?? "")")
            } else {
                #expect(trellis.outcome == "complete", "\(entry.name): expected every request to parse, got \(error?.description ?? trellis.description)")
            }

            if let reason = entry.differs {
                // A stale reason would hide a real change in either parser.
                #expect(trellis != llhttp, "\(entry.name) is marked as differing (\(reason)) but both parsers agree: \(trellis)")
            } else {
                #expect(trellis == llhttp, "\(entry.name): Trellis \(trellis) but llhttp \(llhttp)")
            }
        }
    }
}
