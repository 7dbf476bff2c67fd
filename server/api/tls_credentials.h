#ifndef CITECHECK_SERVER_API_TLS_CREDENTIALS_H_
#define CITECHECK_SERVER_API_TLS_CREDENTIALS_H_

// The gRPC server's transport credentials from the --tls_* flags:
//   none set                                -> plaintext
//   --tls_cert_file + --tls_key_file        -> TLS with that certificate chain and key
//   ... + --tls_client_ca_file              -> mTLS: clients must present a certificate signed
//                                              by that CA (verified), or the handshake fails
// PEM files are read once, at start.

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "grpcpp/security/server_credentials.h"

namespace citecheck {

struct TlsFiles {
  std::string cert_file;       // --tls_cert_file: certificate chain, PEM
  std::string key_file;        // --tls_key_file: its private key, PEM
  std::string client_ca_file;  // --tls_client_ca_file: CA for client certificates, PEM
};

// Reads a whole file. NOT_FOUND / PERMISSION_DENIED / FAILED_PRECONDITION (empty or not PEM:
// no "-----BEGIN ") with a message naming `flag` and the path.
absl::StatusOr<std::string> ReadPemFile(const std::string& flag, const std::string& path);

// The credentials for `files`. INVALID_ARGUMENT naming the flag when only one of cert and key is
// given, or a client CA without them; the ReadPemFile errors for files that cannot be used.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> ServerCredentialsFor(
    const TlsFiles& files);

// "plaintext", "TLS" or "mTLS", for the start-up log line.
const char* TransportSecurityName(const TlsFiles& files);

}  // namespace citecheck

#endif  // CITECHECK_SERVER_API_TLS_CREDENTIALS_H_
