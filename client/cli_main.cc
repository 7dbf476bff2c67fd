// The `citecheck` command line client; see client/cli.h for the commands and exit codes.

#include <unistd.h>

#include <iostream>

#include "client/cli.h"

int main(int argc, char** argv) {
  return citecheck::client::RunCli(argc, argv, std::cin, std::cout, std::cerr,
                                   isatty(STDERR_FILENO) != 0);
}
