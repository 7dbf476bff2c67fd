#ifndef CITECHECK_SERVER_COMMON_STOP_SIGNAL_H_
#define CITECHECK_SERVER_COMMON_STOP_SIGNAL_H_

// SIGINT and SIGTERM as something a binary's main() can wait for. The handler only writes the
// signal's number to a pipe (the one async-signal-safe thing it does); WaitForStopSignal reads
// it. A handler rather than sigwait(), because libraries (gRPC) may start threads before main()
// that would otherwise take the signal's default action. Process-wide state: for main() only.

namespace citecheck {

// Installs the handlers of SIGINT and SIGTERM. False when the pipe or a handler cannot be set
// up. REQUIRES: called once.
bool InstallStopSignalHandlers();

// Blocks until SIGINT or SIGTERM arrives (each arrival is returned once), and returns its number.
// REQUIRES: InstallStopSignalHandlers() succeeded.
int WaitForStopSignal();

}  // namespace citecheck

#endif  // CITECHECK_SERVER_COMMON_STOP_SIGNAL_H_
