import TrellisRuntime

// NOTE: temporary until the gateway lands; Server.swift.pending is the real one.
enum Server {
    static func serve(_ application: Application, host: String?, port: Int?) -> Int32 {
        Output.standardError("trellis serve: the gateway is not built yet")
        return ExitStatus.failure
    }
}
