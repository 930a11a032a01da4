import CUV

/// The error `Gateway.start()` throws.
public struct GatewayError: Error, Sendable, CustomStringConvertible {
    /// A stable name: `invalid_host`, `invalid_port`,
    /// `invalid_event_loops`, `bind_failed`, `listen_failed`, `loop_failed` or `already_started`.
    public var code: String
    public var message: String

    public init(code: String, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }

    /// Formats the libuv error name and text for a negative libuv status, such as `EADDRINUSE (address already in use)`.
    static func describe(_ status: Int32) -> String {
        "\(String(cString: uv_err_name(status))) (\(String(cString: uv_strerror(status))))"
    }
}
