#ifndef TRELLIS_CCRYPTO_SHIM_H
#define TRELLIS_CCRYPTO_SHIM_H
/* SHA256Digest calls SHA256_Init, SHA256_Update and SHA256_Final, which OpenSSL 3.0 marks deprecated
   but still exports. They skip the context allocation that EVP_Digest makes on every call. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>
#include <openssl/pem.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ecdsa.h>
#include <openssl/bn.h>
#include <openssl/rand.h>
#include <openssl/core_names.h>
#include <openssl/rsa.h>
#include <openssl/ec.h>
#include <openssl/obj_mac.h>
#endif
