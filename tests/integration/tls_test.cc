// TLS and mTLS end to end, with a throwaway PKI made by make_test_certs.sh at test time: the
// CLI works over TLS, plaintext clients are refused, mTLS refuses clients without a certificate
// or with one from another CA, unusable files stop the server with exit code 2 and a message
// naming the flag, and /metrics stays plain HTTP on its own address.

#include <httplib.h>

#include <cstdlib>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "client/cli.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/server_process.h"

namespace citecheck::testing {
namespace {

using ::testing::HasSubstr;

class TlsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    char dir[] = "/tmp/citecheck-tls-XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    certs_ = new std::string(dir);
    ProcessResult made = RunProcess({"/bin/bash", CITECHECK_MAKE_TEST_CERTS, *certs_});
    ASSERT_EQ(made.exit_code, 0) << made.output;
  }
  static void TearDownTestSuite() {
    RunProcess({"/bin/rm", "-rf", *certs_});
    delete certs_;
  }

  static std::string Cert(const char* name) { return absl::StrCat(*certs_, "/", name); }

  // Runs the CLI (in process, the real command line code) against `server`; returns the exit
  // code and fills *out / *err.
  int Cli(std::vector<std::string> args, std::string* out, std::string* err) {
    args.insert(args.begin(), "citecheck");
    std::vector<char*> argv;
    for (auto& arg : args) argv.push_back(arg.data());
    std::istringstream in("Smith, J. A. (2020). A title of a work. Journal of Things, 1(2), 3-4.");
    std::ostringstream out_stream, err_stream;
    client::CliEnvironment env;
    env.getenv = [](const std::string&) { return std::nullopt; };
    const int code = client::RunCli(static_cast<int>(argv.size()), argv.data(), in, out_stream,
                                    err_stream, false, env);
    *out = out_stream.str();
    *err = err_stream.str();
    return code;
  }

  static std::string* certs_;
};

std::string* TlsTest::certs_ = nullptr;

TEST_F(TlsTest, CliWorksOverTlsAndPlaintextIsRefused) {
  std::unique_ptr<ServerProcess> server = ServerProcess::Start(
      {"--tls_cert_file=" + Cert("server.pem"), "--tls_key_file=" + Cert("server.key"),
       "--metrics_listen=127.0.0.1:0"});
  ASSERT_NE(server, nullptr);
  EXPECT_THAT(server->Log(), HasSubstr("(TLS; replica"));
  std::string out, err;
  EXPECT_EQ(Cli({"--server", server->address(), "--ca_file", Cert("ca.pem"), "--free_user_id",
                 "tls-user", "submit", "--watch", "--json"},
                &out, &err),
            client::kExitOk)
      << err;
  EXPECT_THAT(out, HasSubstr("\"JOB_STATE_SUCCEEDED\""));
  // "localhost" matches the certificate's DNS name as well.
  const std::string port = server->address().substr(server->address().rfind(':'));
  EXPECT_EQ(
      Cli({"--server", "localhost" + port, "--ca_file", Cert("ca.pem"), "balance"}, &out, &err),
      client::kExitOk)
      << err;

  // A plaintext client gets nowhere.
  EXPECT_EQ(Cli({"--server", server->address(), "--timeout", "5", "balance"}, &out, &err),
            client::kExitRpcError);
  EXPECT_THAT(err, HasSubstr("UNAVAILABLE"));
  // Nor does a TLS client that trusts another CA.
  EXPECT_EQ(Cli({"--server", server->address(), "--ca_file", Cert("other-ca.pem"), "--timeout", "5",
                 "balance"},
                &out, &err),
            client::kExitRpcError);
  // An unreadable --ca_file is a usage error naming the flag.
  EXPECT_EQ(
      Cli({"--server", server->address(), "--ca_file", Cert("missing.pem"), "balance"}, &out, &err),
      client::kExitUsage);
  EXPECT_THAT(err, HasSubstr("--ca_file: cannot read"));
  EXPECT_EQ(Cli({"--server", server->address(), "--cert_file", Cert("client.pem"), "balance"}, &out,
                &err),
            client::kExitUsage);
  EXPECT_THAT(err, HasSubstr("--cert_file needs --key_file"));

  // /metrics is plain HTTP on its own address, and counted the TLS calls.
  httplib::Client http("http://" + server->metrics_address());
  auto res = http.Get("/metrics");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_THAT(res->body, HasSubstr("grpc_server_handled_total{grpc_service=\"citecheck.v1."
                                   "AccountService\",grpc_method=\"GetBalance\",grpc_type=\"unary\""
                                   ",grpc_code=\"OK\"} 1\n"));
}

TEST_F(TlsTest, MutualTlsRequiresACertificateFromTheConfiguredCa) {
  std::unique_ptr<ServerProcess> server = ServerProcess::Start(
      {"--tls_cert_file=" + Cert("server.pem"), "--tls_key_file=" + Cert("server.key"),
       "--tls_client_ca_file=" + Cert("ca.pem")});
  ASSERT_NE(server, nullptr);
  EXPECT_THAT(server->Log(), HasSubstr("(mTLS; replica"));
  client::ClientOptions options;
  options.ca_file = Cert("ca.pem");
  options.rpc_timeout = absl::Seconds(5);
  v1::Balance balance;

  // No client certificate: refused.
  EXPECT_EQ(server->Client(options)->GetBalance(&balance).error_code(), grpc::UNAVAILABLE);
  // A certificate from another CA: refused.
  options.cert_file = Cert("other-client.pem");
  options.key_file = Cert("other-client.key");
  EXPECT_EQ(server->Client(options)->GetBalance(&balance).error_code(), grpc::UNAVAILABLE);
  // The right one: served.
  options.cert_file = Cert("client.pem");
  options.key_file = Cert("client.key");
  grpc::Status status = server->Client(options)->GetBalance(&balance);
  EXPECT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(balance.kind(), v1::USER_KIND_FREE);
  // And the CLI with --cert_file/--key_file.
  std::string out, err;
  EXPECT_EQ(Cli({"--server", server->address(), "--ca_file", Cert("ca.pem"), "--cert_file",
                 Cert("client.pem"), "--key_file", Cert("client.key"), "submit", "--watch"},
                &out, &err),
            client::kExitOk)
      << err;
  EXPECT_EQ(server->Terminate(), 0);
}

TEST_F(TlsTest, UnusableTlsSettingsStopTheStartWithExitCode2NamingTheFlag) {
  struct Case {
    std::vector<std::string> flags;
    std::string message;
  };
  std::vector<Case> cases = {
      {{"--tls_cert_file=" + Cert("missing.pem"), "--tls_key_file=" + Cert("server.key")},
       "--tls_cert_file: cannot read " + Cert("missing.pem")},
      {{"--tls_cert_file=" + Cert("server.pem"), "--tls_key_file=" + Cert("missing.key")},
       "--tls_key_file: cannot read"},
      {{"--tls_cert_file=" + Cert("server.pem")}, "--tls_key_file is required"},
      {{"--tls_client_ca_file=" + Cert("ca.pem")}, "--tls_client_ca_file needs --tls_cert_file"},
      {{"--tls_cert_file=" + Cert("server.pem"), "--tls_key_file=" + Cert("server.key"),
        "--tls_client_ca_file=" + Cert("missing-ca.pem")},
       "--tls_client_ca_file: cannot read"},
      {{"--tls_cert_file=" + Cert("server.pem"), "--tls_key_file=" + Cert("client.key")},
       "--tls_key_file: the key does not belong to the certificate"},
      {{"--tls_cert_file=" + Cert("ca.srl"), "--tls_key_file=" + Cert("server.key")},
       "--tls_cert_file: " + Cert("ca.srl") + " is not a PEM file"},
  };
  for (const Case& c : cases) {
    std::vector<std::string> argv = {CITECHECK_SERVER_PATH, "--store=memory",
                                     "--listen=127.0.0.1:0"};
    argv.insert(argv.end(), c.flags.begin(), c.flags.end());
    ProcessResult result = RunProcess(argv);
    EXPECT_EQ(result.exit_code, 2) << c.message << "\n" << result.output;
    EXPECT_THAT(result.output, HasSubstr(c.message));
    EXPECT_THAT(result.output, ::testing::Not(HasSubstr("listening on")));
  }
}

}  // namespace
}  // namespace citecheck::testing
