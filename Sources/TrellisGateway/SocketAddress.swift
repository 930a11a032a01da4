import CUV
import Glibc

/// An IPv4 or IPv6 socket address parsed from a numeric host.
struct SocketAddress {
    private var storage = sockaddr_storage()

    init(storage: sockaddr_storage) {
        self.storage = storage
    }

    /// Parses `host` as an IPv4, then an IPv6 literal; throws `invalid_host` for anything else.
    init(host: String, port: Int) throws(GatewayError) {
        let parsed = withUnsafeMutableBytes(of: &storage) { raw -> Bool in
            let ipv4 = raw.baseAddress!.assumingMemoryBound(to: sockaddr_in.self)
            if uv_ip4_addr(host, Int32(port), ipv4) == 0 { return true }
            let ipv6 = raw.baseAddress!.assumingMemoryBound(to: sockaddr_in6.self)
            return uv_ip6_addr(host, Int32(port), ipv6) == 0
        }
        guard parsed else {
            throw GatewayError(
                code: "invalid_host",
                message: "Host \"\(host)\" is not an IPv4 or IPv6 address; use for example 127.0.0.1, 0.0.0.0 or ::.")
        }
    }

    var family: Int32 { Int32(storage.ss_family) }

    var port: Int {
        withUnsafeBytes(of: storage) { raw in
            family == AF_INET6
                ? Int(UInt16(bigEndian: raw.load(as: sockaddr_in6.self).sin6_port))
                : Int(UInt16(bigEndian: raw.load(as: sockaddr_in.self).sin_port))
        }
    }

    /// True for the IPv6 unspecified address `::`.
    var isIPv6Wildcard: Bool {
        guard family == AF_INET6 else { return false }
        return withUnsafeBytes(of: storage) { raw in
            withUnsafeBytes(of: raw.load(as: sockaddr_in6.self).sin6_addr) { address in address.allSatisfy { $0 == 0 } }
        }
    }

    mutating func setPort(_ port: Int) {
        let networkOrder = UInt16(port).bigEndian
        let isIPv6 = family == AF_INET6
        withUnsafeMutableBytes(of: &storage) { raw in
            if isIPv6 {
                raw.baseAddress!.assumingMemoryBound(to: sockaddr_in6.self).pointee.sin6_port = networkOrder
            } else {
                raw.baseAddress!.assumingMemoryBound(to: sockaddr_in.self).pointee.sin_port = networkOrder
            }
        }
    }

    /// Calls bind(2) on `descriptor`; returns its result, with the reason in `errno` on -1.
    func bind(_ descriptor: Int32) -> Int32 {
        let length = socklen_t(family == AF_INET6 ? MemoryLayout<sockaddr_in6>.size : MemoryLayout<sockaddr_in>.size)
        return withUnsafeBytes(of: storage) { raw in
            Glibc.bind(descriptor, raw.baseAddress!.assumingMemoryBound(to: sockaddr.self), length)
        }
    }
}
