#ifndef CITECHECK_CLIENT_CLI_H_
#define CITECHECK_CLIENT_CLI_H_

// The `citecheck` command line, as a library so that tests can run it without a process:
//
//   citecheck [global flags] COMMAND [flags]      (global flags are also accepted after COMMAND)
//     global: --server ADDR, --token T, --free_user_id ID, --admin_key K, --timeout SECONDS,
//             --metadata KEY=VALUE (repeatable), --tls, --ca_file F, --cert_file F,
//             --key_file F, --tls_server_name NAME (any file implies --tls);
//             env CITECHECK_SERVER, CITECHECK_TOKEN, CITECHECK_ADMIN_KEY, CITECHECK_CA_FILE,
//             CITECHECK_CERT_FILE, CITECHECK_KEY_FILE (flags win)
//     submit [FILE|-|--document FILE] [--style apa7|mla9|chicago17] [--format text|html]
//            [--request_id ID]
//            [--model M] [--watch] [--json]
//     watch JOB_ID [--after N] [--json]
//     get JOB_ID [--json]
//     cancel JOB_ID [--json]
//     list [--state pending|running|succeeded|failed|cancelled] [--page_size N]
//          [--page_token T] [--all] [--json]
//     balance [--json]
//     admin grant-credits --token T --credits N --order ID [--json]
//     admin grant-pass --token T --days 1|7|30 --order ID [--json]
//
// Exit codes: see kExit* below. Results go to `out`; errors, usage messages and the progress
// bar (only when stderr is a terminal and not in --json mode) go to `err`.

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>

#include "citecheck/v1/citecheck.pb.h"
#include "client/citecheck_client.h"

namespace citecheck::client {

// The job SUCCEEDED, or the command (submit without --watch, cancel, balance, admin) was done.
inline constexpr int kExitOk = 0;
// The job ended FAILED or CANCELLED (watch, submit --watch, get).
inline constexpr int kExitJobFailed = 1;
// Bad flags or arguments, unreadable input or TLS file, unknown style.
inline constexpr int kExitUsage = 2;
// An RPC failed (server unreachable, NOT_FOUND, INVALID_ARGUMENT, ...).
inline constexpr int kExitRpcError = 3;

// What RunCli needs from the outside world; the defaults use the process environment and a
// real insecure channel.
struct CliEnvironment {
  // The value of an environment variable, or nullopt when unset. Default: std::getenv.
  std::function<std::optional<std::string>(const std::string& name)> getenv;
  // Creates the client for the parsed options. Default: CitecheckClient(options).
  std::function<std::unique_ptr<CitecheckClient>(const ClientOptions& options)> make_client;
};

// A parsed command line.
struct CliInvocation {
  ClientOptions client;
  // "submit", "watch", "get", "cancel", "list", "balance", "grant-credits" or "grant-pass".
  std::string command;
  bool json = false;
  // submit
  std::string file;           // "" or "-" reads the input stream
  std::string document_file;  // --document: a whole paper ("-" reads the input stream)
  std::string format;         // "text", "html" or "" (html for *.html/*.htm files, else text)
  v1::Style style = v1::STYLE_APA7;
  std::string request_id;
  std::string model;
  bool watch = false;
  // watch, get, cancel
  std::string job_id;
  int64_t after = 0;
  // list
  v1::JobState state = v1::JOB_STATE_UNSPECIFIED;
  int page_size = 0;
  std::string page_token;
  bool all_pages = false;
  // admin
  std::string grant_token;
  int64_t credits = 0;
  int days = 0;
  std::string order_id;
};

// Parses the command line and the environment. On --help prints the help to `out` and sets
// *exit_code to kExitOk; on a usage error prints it to `err` and sets kExitUsage; both return
// nullopt.
std::optional<CliInvocation> ParseCli(int argc, const char* const* argv, const CliEnvironment& env,
                                      std::ostream& out, std::ostream& err, int* exit_code);

// Builds the SubmitBatch request of a `submit` invocation, reading its file (or `in`). Returns
// false with *error set when the file cannot be read.
bool BuildSubmitRequest(const CliInvocation& invocation, std::istream& in,
                        v1::SubmitBatchRequest* request, std::string* error);

// The exit code for a job: kExitJobFailed when FAILED or CANCELLED, else kExitOk.
int ExitCodeForJob(const v1::Job& job);

// Runs a parsed invocation against `client` and returns the exit code.
int Execute(const CliInvocation& invocation, CitecheckClient& client, std::istream& in,
            std::ostream& out, std::ostream& err, bool stderr_is_tty);

// Parses, builds the client and executes; returns the process exit code.
int RunCli(int argc, char** argv, std::istream& in, std::ostream& out, std::ostream& err,
           bool stderr_is_tty);
int RunCli(int argc, char** argv, std::istream& in, std::ostream& out, std::ostream& err,
           bool stderr_is_tty, const CliEnvironment& env);

}  // namespace citecheck::client

#endif  // CITECHECK_CLIENT_CLI_H_
