#include "client/cli.h"

#include <CLI/CLI.hpp>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "client/render.h"

namespace citecheck::client {
namespace {

constexpr char kFooter[] =
    "Global flags (--server, --token, ...) may also follow the command.\n"
    "Environment: CITECHECK_SERVER, CITECHECK_TOKEN, CITECHECK_ADMIN_KEY, CITECHECK_CA_FILE,\n"
    "CITECHECK_CERT_FILE and CITECHECK_KEY_FILE supply --server, --token, --admin_key,\n"
    "--ca_file, --cert_file and --key_file when the flag is not given.\n"
    "Exit codes:\n"
    "  0  the job SUCCEEDED, or the command was done\n"
    "  1  the job ended FAILED or CANCELLED (watch, submit --watch, get)\n"
    "  2  usage error: bad flags or arguments, unreadable file, unknown style\n"
    "  3  RPC error: server unreachable, NOT_FOUND, INVALID_ARGUMENT, ... (details on stderr)\n";

std::optional<std::string> ProcessGetenv(const std::string& name) {
  const char* value = std::getenv(name.c_str());
  if (value == nullptr) return std::nullopt;
  return std::string(value);
}

v1::Style ParseStyle(const std::string& name) {
  std::string lower = absl::AsciiStrToLower(name);
  if (lower == "mla9") return v1::STYLE_MLA9;
  if (lower == "chicago17") return v1::STYLE_CHICAGO17;
  return v1::STYLE_APA7;
}

// Adds --json to a subcommand.
void AddJsonFlag(CLI::App* app, bool* json) {
  app->add_flag("--json", *json, "Print one JSON object per line (proto3 JSON mapping)");
}

int ReportRpcError(const grpc::Status& status, std::ostream& err) {
  err << FormatRpcError(status) << std::flush;
  return kExitRpcError;
}

}  // namespace

std::optional<CliInvocation> ParseCli(int argc, const char* const* argv, const CliEnvironment& env,
                                      std::ostream& out, std::ostream& err, int* exit_code) {
  CliInvocation inv;
  double timeout_seconds = absl::ToDoubleSeconds(inv.client.rpc_timeout);
  std::vector<std::string> metadata;
  std::string style = "apa7";

  CLI::App app(
      "citecheck: check reference lists (APA 7, MLA 9, Chicago 17) with a citecheck "
      "server.",
      "citecheck");
  app.footer(kFooter);
  app.fallthrough();  // inherited: global flags are accepted after the command too
  app.require_subcommand(1);
  CLI::Option* server_opt = app.add_option("--server", inv.client.server,
                                           "Server address host:port (env CITECHECK_SERVER)")
                                ->capture_default_str();
  CLI::Option* token_opt =
      app.add_option("--token", inv.client.token,
                     "Account token, sent as 'authorization: Bearer' (env CITECHECK_TOKEN)");
  app.add_option("--free_user_id,--free-user-id", inv.client.free_user_id,
                 "Free user id, sent as x-free-user-id");
  CLI::Option* admin_opt =
      app.add_option("--admin_key,--admin-key", inv.client.admin_key,
                     "Admin key for the admin commands (env CITECHECK_ADMIN_KEY)");
  app.add_flag("--tls", inv.client.tls,
               "Connect over TLS, verifying the server with the system's roots or --ca_file");
  CLI::Option* ca_opt =
      app.add_option("--ca_file,--ca-file", inv.client.ca_file,
                     "PEM CA that verifies the server's certificate (implies --tls; env "
                     "CITECHECK_CA_FILE)");
  CLI::Option* cert_opt =
      app.add_option("--cert_file,--cert-file", inv.client.cert_file,
                     "PEM client certificate for mTLS, with --key_file (implies --tls; env "
                     "CITECHECK_CERT_FILE)");
  CLI::Option* key_opt = app.add_option("--key_file,--key-file", inv.client.key_file,
                                        "PEM private key of --cert_file (env CITECHECK_KEY_FILE)");
  app.add_option("--tls_server_name,--tls-server-name", inv.client.tls_server_name,
                 "Name to verify in the server's certificate (default: the host of --server)");
  app.add_option("--timeout", timeout_seconds, "Deadline of each unary call, in seconds")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--metadata", metadata, "Extra request metadata KEY=VALUE (repeatable)")
      ->allow_extra_args(false)  // one value per flag, so a positional after it stays one
      ->check([](const std::string& value) -> std::string {
        size_t eq = value.find('=');
        return eq == std::string::npos || eq == 0 ? "expected KEY=VALUE" : "";
      });

  CLI::App* submit = app.add_subcommand("submit", "Submit a reference list and print the job");
  CLI::Option* file_opt =
      submit->add_option("file", inv.file, "Input file; '-' or absent reads stdin");
  submit
      ->add_option("--document", inv.document_file,
                   "A whole paper (body, then its reference list after a References heading): "
                   "its references are checked and its in-text citations matched against them")
      ->excludes(file_opt);
  submit->add_option("--style", style, "Citation style")
      ->capture_default_str()
      ->check(CLI::IsMember({"apa7", "mla9", "chicago17"}, CLI::ignore_case));
  submit
      ->add_option("--format", inv.format,
                   "Input format (default: html for *.html/*.htm files, else text)")
      ->check(CLI::IsMember({"text", "html"}, CLI::ignore_case));
  submit->add_option("--request_id,--request-id", inv.request_id, "Idempotency key");
  submit->add_option("--model", inv.model, "Model name (default: the server's primary model)");
  submit->add_flag("--watch", inv.watch, "Follow the job and print the results as they arrive");
  AddJsonFlag(submit, &inv.json);

  CLI::App* watch = app.add_subcommand("watch", "Print a job's results as they arrive");
  watch->add_option("job_id", inv.job_id, "The job id")->required();
  watch->add_option("--after", inv.after, "Only events with a greater sequence number")
      ->check(CLI::NonNegativeNumber);
  AddJsonFlag(watch, &inv.json);

  CLI::App* get = app.add_subcommand("get", "Print a job and its results so far");
  get->add_option("job_id", inv.job_id, "The job id")->required();
  AddJsonFlag(get, &inv.json);

  CLI::App* cancel = app.add_subcommand("cancel", "Cancel a job");
  cancel->add_option("job_id", inv.job_id, "The job id")->required();
  AddJsonFlag(cancel, &inv.json);

  std::string state;
  CLI::App* list = app.add_subcommand("list", "List the caller's jobs, newest first");
  list->add_option("--state", state, "Only jobs in this state")
      ->check(CLI::IsMember({"pending", "running", "succeeded", "failed", "cancelled"},
                            CLI::ignore_case));
  list->add_option("--page_size,--page-size", inv.page_size, "Jobs per page (server default 50)")
      ->check(CLI::Range(1, 1000));
  list->add_option("--page_token,--page-token", inv.page_token, "Continue after a previous page");
  list->add_flag("--all", inv.all_pages, "Follow every page");
  AddJsonFlag(list, &inv.json);

  CLI::App* balance = app.add_subcommand("balance", "Print the caller's balance");
  AddJsonFlag(balance, &inv.json);

  CLI::App* admin = app.add_subcommand("admin", "Grants (need --admin_key)");
  admin->require_subcommand(1);
  CLI::App* grant_credits = admin->add_subcommand("grant-credits", "Add credits to an account");
  grant_credits->add_option("--token", inv.grant_token, "The account's token")->required();
  grant_credits->add_option("--credits", inv.credits, "Credits to add")->required();
  grant_credits->add_option("--order,--order_id", inv.order_id, "The payment's id")->required();
  AddJsonFlag(grant_credits, &inv.json);
  CLI::App* grant_pass = admin->add_subcommand("grant-pass", "Grant or extend a pass");
  grant_pass->add_option("--token", inv.grant_token, "The account's token")->required();
  grant_pass->add_option("--days", inv.days, "Pass length in days")
      ->required()
      ->check(CLI::IsMember({1, 7, 30}));
  grant_pass->add_option("--order,--order_id", inv.order_id, "The payment's id")->required();
  AddJsonFlag(grant_pass, &inv.json);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e, out, err);
    *exit_code = code == 0 ? kExitOk : kExitUsage;
    return std::nullopt;
  }

  for (CLI::App* sub : {submit, watch, get, cancel, list, balance, grant_credits, grant_pass}) {
    if (sub->parsed()) inv.command = sub->get_name();
  }
  inv.style = ParseStyle(style);
  if (!state.empty()) {
    v1::JobState_Parse(absl::StrCat("JOB_STATE_", absl::AsciiStrToUpper(state)), &inv.state);
  }
  inv.format = absl::AsciiStrToLower(inv.format);
  inv.client.rpc_timeout = absl::Seconds(timeout_seconds);
  for (const std::string& entry : metadata) {
    size_t eq = entry.find('=');
    inv.client.extra_metadata.emplace_back(absl::AsciiStrToLower(entry.substr(0, eq)),
                                           entry.substr(eq + 1));
  }
  auto getenv = env.getenv ? env.getenv : ProcessGetenv;
  auto from_env = [&getenv](CLI::Option* opt, const char* name, std::string* value) {
    if (opt->count() > 0) return;
    std::optional<std::string> env_value = getenv(name);
    if (env_value && !env_value->empty()) *value = *env_value;
  };
  from_env(server_opt, "CITECHECK_SERVER", &inv.client.server);
  from_env(token_opt, "CITECHECK_TOKEN", &inv.client.token);
  from_env(admin_opt, "CITECHECK_ADMIN_KEY", &inv.client.admin_key);
  from_env(ca_opt, "CITECHECK_CA_FILE", &inv.client.ca_file);
  from_env(cert_opt, "CITECHECK_CERT_FILE", &inv.client.cert_file);
  from_env(key_opt, "CITECHECK_KEY_FILE", &inv.client.key_file);
  if (inv.client.cert_file.empty() != inv.client.key_file.empty()) {
    err << (inv.client.cert_file.empty() ? "--key_file needs --cert_file"
                                         : "--cert_file needs --key_file")
        << " (mTLS)\nRun with --help for more information.\n";
    *exit_code = kExitUsage;
    return std::nullopt;
  }
  *exit_code = kExitOk;
  return inv;
}

bool BuildSubmitRequest(const CliInvocation& invocation, std::istream& in,
                        v1::SubmitBatchRequest* request, std::string* error) {
  std::string content;
  const bool document = !invocation.document_file.empty();
  const std::string& path = document ? invocation.document_file : invocation.file;
  bool from_stdin = path.empty() || path == "-";
  if (from_stdin) {
    std::ostringstream buffer;
    buffer << in.rdbuf();
    if (in.bad()) {
      *error = "cannot read standard input";
      return false;
    }
    content = buffer.str();
  } else {
    std::ifstream file(path, std::ios::binary);
    if (!file) {
      *error = absl::StrCat("cannot read ", path, ": ", std::strerror(errno));
      return false;
    }
    std::ostringstream buffer;
    buffer << file.rdbuf();
    if (file.bad()) {
      *error = absl::StrCat("cannot read ", path);
      return false;
    }
    content = buffer.str();
  }
  std::string format = invocation.format;
  if (format.empty()) {
    std::string lower = absl::AsciiStrToLower(path);
    bool html = !from_stdin && (absl::EndsWith(lower, ".html") || absl::EndsWith(lower, ".htm"));
    format = html ? "html" : "text";
  }
  request->Clear();
  request->set_style(invocation.style);
  request->set_request_id(invocation.request_id);
  request->set_model(invocation.model);
  if (document) {
    if (format == "html") {
      request->mutable_document()->set_html(std::move(content));
    } else {
      request->mutable_document()->set_text(std::move(content));
    }
  } else if (format == "html") {
    request->set_html(std::move(content));
  } else {
    request->set_text(std::move(content));
  }
  return true;
}

int ExitCodeForJob(const v1::Job& job) {
  return job.state() == v1::JOB_STATE_FAILED || job.state() == v1::JOB_STATE_CANCELLED
             ? kExitJobFailed
             : kExitOk;
}

namespace {

// Follows a job with `printer`; returns the exit code.
int RunWatch(CitecheckClient& client, const std::string& job_id, int64_t after,
             WatchPrinter& printer, std::ostream& err) {
  grpc::Status status = client.Watch(
      job_id, after, [&printer](const v1::JobEvent& event) { return printer.OnEvent(event); });
  printer.Finish();
  if (!status.ok()) return ReportRpcError(status, err);
  if (!printer.terminal_job()) return kExitOk;  // not reachable: OK means terminal was seen
  return ExitCodeForJob(*printer.terminal_job());
}

}  // namespace

int Execute(const CliInvocation& inv, CitecheckClient& client, std::istream& in, std::ostream& out,
            std::ostream& err, bool stderr_is_tty) {
  const bool progress = stderr_is_tty && !inv.json;
  if (inv.command == "submit") {
    v1::SubmitBatchRequest request;
    std::string error;
    if (!BuildSubmitRequest(inv, in, &request, &error)) {
      err << "error: " << error << "\n";
      return kExitUsage;
    }
    v1::Job job;
    grpc::Status status = client.SubmitBatch(request, &job);
    if (!status.ok()) return ReportRpcError(status, err);
    if (inv.json) {
      out << JobJsonLine(job) << "\n" << std::flush;
    } else {
      out << FormatSubmitSummary(job) << std::flush;
    }
    if (!inv.watch) return kExitOk;
    WatchPrinter printer(out, err, inv.json, progress);
    printer.SetJob(job);
    return RunWatch(client, job.job_id(), 0, printer, err);
  }
  if (inv.command == "watch") {
    WatchPrinter printer(out, err, inv.json, progress);
    return RunWatch(client, inv.job_id, inv.after, printer, err);
  }
  if (inv.command == "get" || inv.command == "cancel") {
    v1::Job job;
    grpc::Status status =
        inv.command == "get" ? client.GetJob(inv.job_id, &job) : client.CancelJob(inv.job_id, &job);
    if (!status.ok()) return ReportRpcError(status, err);
    if (inv.json) {
      out << JobJsonLine(job) << "\n";
    } else if (inv.command == "get") {
      out << FormatJob(job);
    } else {
      out << (IsTerminal(job.state()) ? FormatFinalLine(job) : FormatJob(job));
    }
    out << std::flush;
    return inv.command == "get" ? ExitCodeForJob(job) : kExitOk;
  }
  if (inv.command == "list") {
    v1::ListJobsRequest request;
    request.set_state(inv.state);
    request.set_page_size(inv.page_size);
    request.set_page_token(inv.page_token);
    while (true) {
      v1::ListJobsResponse page;
      grpc::Status status = client.ListJobs(request, &page);
      if (!status.ok()) return ReportRpcError(status, err);
      for (const v1::Job& job : page.jobs()) {
        out << (inv.json ? JobJsonLine(job) + "\n" : FormatJobListLine(job));
      }
      out << std::flush;
      if (page.next_page_token().empty()) break;
      if (!inv.all_pages) {
        if (!inv.json) out << "more: --page_token " << page.next_page_token() << "\n";
        break;
      }
      request.set_page_token(page.next_page_token());
    }
    return kExitOk;
  }
  if (inv.command == "balance" || inv.command == "grant-credits" || inv.command == "grant-pass") {
    v1::Balance balance;
    grpc::Status status;
    if (inv.command == "balance") {
      status = client.GetBalance(&balance);
    } else if (inv.command == "grant-credits") {
      status = client.GrantCredits(inv.grant_token, inv.credits, inv.order_id, &balance);
    } else {
      status = client.GrantPass(inv.grant_token, inv.days, inv.order_id, &balance);
    }
    if (!status.ok()) return ReportRpcError(status, err);
    out << (inv.json ? BalanceJsonLine(balance) + "\n" : FormatBalance(balance)) << std::flush;
    return kExitOk;
  }
  err << "error: unknown command '" << inv.command << "'\n";
  return kExitUsage;
}

int RunCli(int argc, char** argv, std::istream& in, std::ostream& out, std::ostream& err,
           bool stderr_is_tty) {
  return RunCli(argc, argv, in, out, err, stderr_is_tty, CliEnvironment());
}

int RunCli(int argc, char** argv, std::istream& in, std::ostream& out, std::ostream& err,
           bool stderr_is_tty, const CliEnvironment& env) {
  int exit_code = kExitOk;
  std::optional<CliInvocation> inv = ParseCli(argc, argv, env, out, err, &exit_code);
  if (!inv) return exit_code;
  std::unique_ptr<CitecheckClient> client;
  if (env.make_client) {
    client = env.make_client(inv->client);
  } else {
    absl::StatusOr<std::unique_ptr<CitecheckClient>> created = CitecheckClient::Create(inv->client);
    if (!created.ok()) {
      err << "error: " << created.status().message() << "\n";
      return kExitUsage;
    }
    client = *std::move(created);
  }
  return Execute(*inv, *client, in, out, err, stderr_is_tty);
}

}  // namespace citecheck::client
