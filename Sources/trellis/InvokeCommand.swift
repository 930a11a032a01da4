import Foundation
import TrellisCore
import TrellisRuntime

enum InvokeCommand {
    static let help = """
        Usage: trellis invoke NAME [--data JSON | --data @FILE] [--method M] [--header 'Name: value']...
                                   [--path /sub/path] [--query 'a=1&b=2'] [--config PATH]

        Invokes one function in this process through the same chain the server uses (auth, rate limits and
        logging included) and prints the response status line, header fields and body. Log lines go to
        standard error. Exits 0 for a 1xx-3xx status and 1 for a 4xx or 5xx.

        Options:
          --data TEXT     Request body; @FILE reads the body from FILE, @- from standard input.
          --method M      Request method (default: POST with --data, else GET).
          --header H      A request header field as 'Name: value'; repeat for more.
          --path P        Sub-path after the function name, such as /items/3.
          --query Q       Query string without the leading '?'.
          --config PATH   Config file (default: $TRELLIS_CONFIG, else runtime/trellis.json if present).
        """

    static func run(_ arguments: [String]) async -> Int32 {
        let parsed: Arguments
        switch Command.parse(
            arguments, name: "invoke", help: help,
            options: ["--data", "--method", "--header", "--path", "--query", "--config"])
        {
        case .success(let value): parsed = value
        case .failure(let exit): return exit.status
        }
        guard parsed.positional.count == 1 else {
            return Command.usageError("invoke", parsed.positional.isEmpty ? "missing function NAME" : "expected one function NAME")
        }
        let name = parsed.positional[0]

        var request = Request(clientAddress: "local")
        do {
            if let data = parsed.value("--data") { request.body = try readBody(data) }
            for header in parsed.allValues("--header") {
                guard let colon = header.firstIndex(of: ":"), colon != header.startIndex else {
                    return Command.usageError("invoke", "header \"\(header)\" is not in the form 'Name: value'")
                }
                guard !header.unicodeScalars.contains(where: { $0 == "\r" || $0 == "\n" || $0 == "\0" }) else {
                    return Command.usageError("invoke", "header values may not contain CR, LF or NUL, as over HTTP")
                }
                let fieldName = String(header[..<colon]).trimmingCharacters(in: .whitespaces)
                let value = String(header[header.index(after: colon)...]).trimmingCharacters(in: .whitespaces)
                request.headers.add(fieldName, value)
            }
        } catch {
            Output.standardError("trellis invoke: \(error)")
            return ExitStatus.failure
        }
        request.method = (parsed.value("--method") ?? (parsed.value("--data") == nil ? "GET" : "POST")).uppercased()
        request.path = parsed.value("--path") ?? ""
        if !request.path.isEmpty && !request.path.hasPrefix("/") { request.path = "/" + request.path }
        request.query = parsed.value("--query") ?? ""

        let application: Application
        do {
            application = try ApplicationLoader.load(configPath: ApplicationLoader.configPath(parsed.value("--config"))) {
                StreamLogSink(fileDescriptor: STDERR_FILENO, format: $0.logging.format)
            }
        } catch {
            Output.standardError("trellis invoke: \(error)")
            return ExitStatus.failure
        }
        guard let function = application.function(named: name) else {
            let known = application.functions.map(\.name).joined(separator: ", ")
            Output.standardError("trellis invoke: no function named \"\(name)\"; registered: \(known)")
            return ExitStatus.failure
        }
        guard function.allows(method: request.method) else {
            Output.standardError("trellis invoke: function \"\(name)\" does not accept \(request.method); allowed: \(function.allowHeader)")
            return ExitStatus.failure
        }

        let context = application.makeContext(for: function, incomingRequestID: request.headers["X-Request-Id"])
        let response = await function.invokeWithDeadline(request, context: context)
        var head = "HTTP \(response.status)\n"
        for field in response.headers { head += "\(field.name): \(field.value)\n" }
        head += "X-Request-Id: \(context.requestID)\n\n"
        var output = Array(head.utf8) + response.body
        if let last = response.body.last, last != UInt8(ascii: "\n") { output.append(UInt8(ascii: "\n")) }
        FileHandle.standardOutput.write(Data(output))
        return response.status >= 400 ? ExitStatus.failure : ExitStatus.success
    }

    struct BodyError: Error, CustomStringConvertible {
        let description: String
    }

    /// Reads the body for `--data`: the text itself, the bytes of the file after `@`, or stdin for `@-`.
    static func readBody(_ data: String) throws -> [UInt8] {
        guard data.hasPrefix("@") else { return Array(data.utf8) }
        let path = String(data.dropFirst())
        if path == "-" { return Array(FileHandle.standardInput.readDataToEndOfFile()) }
        guard let contents = FileManager.default.contents(atPath: path) else {
            throw BodyError(description: "cannot read --data file \(path): it does not exist or is not readable")
        }
        return Array(contents)
    }
}
