import CUV
import Glibc

/// The listening sockets of a gateway: one per event loop, all bound to the same address and port with
/// `SO_REUSEPORT`, so that the kernel spreads new connections over the loops. For TCP, Linux picks the
/// socket by a hash of the connection's addresses and ports (see socket(7), `SO_REUSEPORT`).
///
/// libuv 1.44 has no bind flag for `SO_REUSEPORT`, so the sockets are created, bound and set listening
/// here and handed to libuv with `uv_tcp_open`.
///
/// Exclusivity: `SO_REUSEPORT` lets any socket of the same user that also sets it bind the same port,
/// so a second Trellis on a taken port would share it silently instead of failing. Before binding an
/// explicit port, `open` therefore binds a probe socket without `SO_REUSEPORT`, which fails with
/// `EADDRINUSE` when anything listens there, and closes it again. NOTE: another process could still
/// bind the port between the probe's close and the first bind, a window of a few system calls.
///
/// IPv6: the wildcard `::` is dual-stack (`IPV6_V6ONLY` off), so it also accepts IPv4 clients as
/// `::ffff:a.b.c.d`, as libuv's `uv_tcp_bind` did without `UV_TCP_IPV6ONLY` on Debian's default
/// `net.ipv6.bindv6only=0`. Setting the option explicitly makes the result independent of that sysctl.
/// Any other IPv6 address, such as `::1`, gets `IPV6_V6ONLY` on; it cannot receive IPv4 anyway, and
/// this leaves the IPv4 side of the port free.
struct ListeningSocketGroup {
    /// The file descriptors, one per loop, each bound and listening. The caller owns them.
    var descriptors: [Int32]
    /// The bound port: the requested one, or the one the kernel chose when 0 was requested.
    var port: Int

    /// Creates `count` sockets listening on `host` (an IPv4 or IPv6 literal) and `port` with `backlog`.
    /// With port 0, the first socket binds port 0 and the others bind the port the kernel chose for it.
    /// Linux picks a port that no socket holds for such a bind, even with `SO_REUSEPORT` set, so the
    /// group joins no other server's (checked on Linux 6.18: 3,000 such binds got 3,000 distinct ports).
    /// Throws `invalid_port`, `invalid_host`, `bind_failed` (the port is taken, or the address is not
    /// local) or `listen_failed`; no socket stays open after a throw.
    static func open(host: String, port: Int, count: Int, backlog: Int32) throws(GatewayError) -> ListeningSocketGroup {
        guard (0...65_535).contains(port) else {
            throw GatewayError(code: "invalid_port", message: "Port \(port) is out of range; use 0 to 65535.")
        }
        var address = try SocketAddress(host: host, port: port)
        if port != 0 {
            try checkPortFree(address, host: host)
        }

        var group = ListeningSocketGroup(descriptors: [], port: port)
        do throws(GatewayError) {
            for _ in 0..<count {
                let descriptor = try openOne(address, host: host, port: group.port, backlog: backlog)
                group.descriptors.append(descriptor)
                if group.port == 0 {
                    group.port = try boundPort(of: descriptor)
                    address.setPort(group.port)
                }
            }
        } catch {
            group.closeAll()
            throw error
        }
        return group
    }

    /// Closes every descriptor not yet handed to a loop.
    func closeAll() {
        for descriptor in descriptors { Glibc.close(descriptor) }
    }

    /// Binds a socket without `SO_REUSEPORT` to `address` and closes it; throws `bind_failed` when that fails.
    private static func checkPortFree(_ address: SocketAddress, host: String) throws(GatewayError) {
        let probe = socket(address.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard probe >= 0 else { throw systemError("listen_failed", "Could not create a socket for \(host)") }
        defer { Glibc.close(probe) }
        setOption(probe, SOL_SOCKET, SO_REUSEADDR, 1)
        if address.family == AF_INET6 { setOption(probe, Int32(IPPROTO_IPV6), IPV6_V6ONLY, address.isIPv6Wildcard ? 0 : 1) }
        guard address.bind(probe) == 0 else { throw bindError(host: host, port: address.port) }
    }

    private static func openOne(_ address: SocketAddress, host: String, port: Int, backlog: Int32) throws(GatewayError) -> Int32 {
        let descriptor = socket(
            address.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw systemError("listen_failed", "Could not create a socket for \(host)") }
        setOption(descriptor, SOL_SOCKET, SO_REUSEADDR, 1)
        setOption(descriptor, SOL_SOCKET, SO_REUSEPORT, 1)
        if address.family == AF_INET6 {
            setOption(descriptor, Int32(IPPROTO_IPV6), IPV6_V6ONLY, address.isIPv6Wildcard ? 0 : 1)
        }
        guard address.bind(descriptor) == 0 else {
            let error = bindError(host: host, port: port)
            Glibc.close(descriptor)
            throw error
        }
        guard Glibc.listen(descriptor, backlog) == 0 else {
            let error = systemError("listen_failed", "Could not listen on \(host) port \(port)")
            Glibc.close(descriptor)
            throw error
        }
        return descriptor
    }

    private static func boundPort(of descriptor: Int32) throws(GatewayError) -> Int {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let status = withUnsafeMutablePointer(to: &storage) {
            getsockname(descriptor, UnsafeMutableRawPointer($0).assumingMemoryBound(to: sockaddr.self), &length)
        }
        guard status == 0 else { throw systemError("listen_failed", "Could not read the port the kernel chose") }
        return SocketAddress(storage: storage).port
    }

    private static func setOption(_ descriptor: Int32, _ level: Int32, _ name: Int32, _ value: Int32) {
        var value = value
        setsockopt(descriptor, level, name, &value, socklen_t(MemoryLayout<Int32>.size))
    }

    /// A `bind_failed` error for the current `errno`, with the usual fix for a taken port.
    private static func bindError(host: String, port: Int) -> GatewayError {
        let code = errno
        var message = "Could not bind \(host) port \(port): \(describe(errno: code))."
        if code == EADDRINUSE {
            message += " Stop the other server, or choose another port with --port N or PORT=N (0 picks a free port)."
        }
        return GatewayError(code: "bind_failed", message: message)
    }

    private static func systemError(_ code: String, _ message: String) -> GatewayError {
        GatewayError(code: code, message: "\(message): \(describe(errno: errno)).")
    }

    /// Formats `errno` as libuv does for its statuses, such as `EADDRINUSE (address already in use)`.
    private static func describe(errno code: Int32) -> String {
        GatewayError.describe(-code)
    }
}
