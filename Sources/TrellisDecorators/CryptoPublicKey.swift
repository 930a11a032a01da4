import CCrypto

/// A public key loaded into OpenSSL, used to verify RS256 and ES256 signatures.
///
/// The key is immutable after loading and owns its `EVP_PKEY`, which `deinit` frees. OpenSSL 3.0
/// allows concurrent verifications with one `EVP_PKEY` as long as nothing changes it, and each
/// verification here uses its own `EVP_MD_CTX`, so one key is shared by all requests.
public final class CryptoPublicKey: @unchecked Sendable {
    /// The key family and size as OpenSSL reports them.
    public enum Kind: Equatable, Sendable {
        /// An RSA key with a modulus of this many bits.
        case rsa(bits: Int)
        /// An elliptic-curve key on the named group, such as `prime256v1` (P-256).
        case ec(group: String)
        /// Any other key type, by its OpenSSL type name.
        case other(String)
    }

    /// Owned; freed in `deinit`.
    private let key: OpaquePointer
    public let kind: Kind

    /// Loads a SubjectPublicKeyInfo key in PEM form (`-----BEGIN PUBLIC KEY-----`). Returns nil when
    /// the text contains no such key. PKCS #1 `RSA PUBLIC KEY` blocks and certificates are not read.
    public init?(pem: String) {
        let bytes = Array(pem.utf8)
        guard !bytes.isEmpty, bytes.count <= Int(Int32.max) else { return nil }
        let loaded: OpaquePointer? = bytes.withUnsafeBytes { raw in
            guard let buffer = BIO_new_mem_buf(raw.baseAddress, Int32(raw.count)) else { return nil }
            defer { BIO_free(buffer) }
            return PEM_read_bio_PUBKEY(buffer, nil, nil, nil)
        }
        // A failed PEM read leaves entries on the thread's OpenSSL error queue; drop them so they do not
        // show up in an unrelated later call.
        ERR_clear_error()
        guard let loaded else { return nil }
        key = loaded
        kind = Self.kind(of: loaded)
    }

    deinit { EVP_PKEY_free(key) }

    /// The size of a signature made with this key, in bytes: the modulus size for RSA and the maximum
    /// DER size for ECDSA.
    public var maxSignatureByteCount: Int { Int(EVP_PKEY_get_size(key)) }

    /// Verifies `signature` over `message` with SHA-256: RSASSA-PKCS1-v1_5 for RSA keys, and for EC
    /// keys ECDSA with a DER-encoded `ECDSA-Sig-Value`. Returns false for any failure, including a
    /// signature of the wrong length.
    public func verifySHA256(signature: [UInt8], message: [UInt8]) -> Bool {
        guard !signature.isEmpty, let context = EVP_MD_CTX_new() else { return false }
        defer {
            EVP_MD_CTX_free(context)
            ERR_clear_error()
        }
        guard EVP_DigestVerifyInit(context, nil, EVP_sha256(), nil, key) == 1 else { return false }
        let result = signature.withUnsafeBufferPointer { signatureBuffer in
            Digest.withNonNullPointer(message) { messagePointer in
                EVP_DigestVerify(context, signatureBuffer.baseAddress, signatureBuffer.count, messagePointer, message.count)
            }
        }
        return result == 1
    }

    private static func kind(of key: OpaquePointer) -> Kind {
        switch EVP_PKEY_get_base_id(key) {
        case EVP_PKEY_RSA:
            return .rsa(bits: Int(EVP_PKEY_get_bits(key)))
        case EVP_PKEY_EC:
            var name = [CChar](repeating: 0, count: 80)
            var length = 0
            guard EVP_PKEY_get_utf8_string_param(key, "group", &name, name.count, &length) == 1 else {
                return .ec(group: "unknown")
            }
            return .ec(group: String(decoding: name.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self))
        default:
            let typeName = EVP_PKEY_get0_type_name(key).map { String(cString: $0) } ?? "unknown"
            return .other(typeName)
        }
    }
}
