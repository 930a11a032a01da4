import CCrypto

/// Conversion of an ECDSA signature from the JWS form to the DER form OpenSSL verifies.
///
/// JWS carries an ES256 signature as the 32-byte big-endian `r` followed by the 32-byte `s`, 64 bytes in
/// all (RFC 7518, section 3.4). OpenSSL expects the ASN.1 DER `SEQUENCE { r INTEGER, s INTEGER }`.
enum CryptoECDSASignature {
    /// Returns the DER encoding of a raw `r || s` signature whose halves are `componentByteCount` bytes
    /// each. Returns nil for any other length, so a DER signature sent as is gets rejected.
    static func der(fromRaw raw: [UInt8], componentByteCount: Int) -> [UInt8]? {
        guard raw.count == componentByteCount * 2, let signature = ECDSA_SIG_new() else { return nil }
        defer { ECDSA_SIG_free(signature) }

        let r = raw.withUnsafeBufferPointer { BN_bin2bn($0.baseAddress, Int32(componentByteCount), nil) }
        let s = raw.withUnsafeBufferPointer { BN_bin2bn($0.baseAddress! + componentByteCount, Int32(componentByteCount), nil) }
        guard let r, let s else {
            BN_free(r)
            BN_free(s)
            return nil
        }
        // ECDSA_SIG_set0 takes ownership of r and s on success only.
        guard ECDSA_SIG_set0(signature, r, s) == 1 else {
            BN_free(r)
            BN_free(s)
            return nil
        }

        let length = i2d_ECDSA_SIG(signature, nil)
        guard length > 0 else { return nil }
        var der = [UInt8](repeating: 0, count: Int(length))
        let written = der.withUnsafeMutableBufferPointer { buffer -> Int32 in
            var cursor: UnsafeMutablePointer<UInt8>? = buffer.baseAddress
            return i2d_ECDSA_SIG(signature, &cursor)
        }
        guard written == length else { return nil }
        return der
    }
}
