#!/usr/bin/python3
"""A second independent client: Python grpcio (Debian's python3-grpcio) drives the real
citecheck-server over the wire with stubs generated from the proto file at build time (protoc and
grpc_python_plugin, see CMakeLists.txt).

    python_client_test.py SERVER_BINARY STUBS_DIR MAKE_TEST_CERTS_SCRIPT

Checks submit, watch with resume (a stream dropped by the client mid-way is resumed after the
last sequence seen: no gap, no duplicate), get, cancel, balance, list (pages, filter, a foreign
page token) and an error's google.rpc details on a plaintext server; then submit, watch and get over mTLS (a throwaway PKI made with
openssl), with a client without a certificate and a plaintext one refused. Prints one line per
check and "N passed, 0 failed" at the end; exits non-zero on the first failure.
"""

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

SERVER, STUBS, MAKE_CERTS = sys.argv[1], sys.argv[2], sys.argv[3]
sys.path.insert(0, STUBS)

import grpc  # noqa: E402
from citecheck.v1 import citecheck_pb2 as pb  # noqa: E402
from citecheck.v1 import citecheck_pb2_grpc as pb_grpc  # noqa: E402
from google.rpc import error_details_pb2, status_pb2  # noqa: E402

DEADLINE_S = 10
CITATIONS = [
    "Smith, J. A., & Lee, K. (2020). Reading habits of first-year students. Journal of "
    "Educational Research, 45(2), 101-115. https://doi.org/10.1234/jer.2020.045",
    "Brown, T. and Garcia, M. (2018). The Role Of Sleep In Memory Consolidation. Sleep Science, "
    "12(4), 220-231. doi:10.5678/ss.2018.012",
    "Nguyen, P. (2021). Urban gardening and community health (2nd ed.). Green Press.",
]
TERMINAL = (pb.JOB_STATE_SUCCEEDED, pb.JOB_STATE_FAILED, pb.JOB_STATE_CANCELLED)

passed = 0


def ok(message):
    global passed
    passed += 1
    print(f"ok {passed} - {message}", flush=True)


class Server:
    """citecheck-server on a free loopback port; its log kept for failures."""

    def __init__(self, *flags):
        self.log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(
            [SERVER, "--store=memory", "--listen=127.0.0.1:0", "--watch_heartbeat=1s", *flags],
            stdout=subprocess.PIPE, stderr=self.log, text=True)
        timer = threading.Timer(20, self.proc.kill)
        timer.start()
        line = self.proc.stdout.readline()
        timer.cancel()
        match = re.match(r"listening on (\S+)", line)
        if not match:
            raise AssertionError(f"the server did not start: {line!r}\n{self.log_text()}")
        self.address = match.group(1)

    def log_text(self):
        self.log.seek(0)
        return self.log.read().decode(errors="replace")

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(timeout=30)
        assert code == 0, f"exit code {code} after SIGTERM\n{self.log_text()}"


def metadata(user):
    return (("x-free-user-id", user),)


def error_info(err):
    """The ErrorInfo reason of a failed call's grpc-status-details-bin."""
    for key, value in err.trailing_metadata() or ():
        if key == "grpc-status-details-bin":
            status = status_pb2.Status.FromString(value)
            assert status.code == err.code().value[0], "google.rpc.Status.code = the call's code"
            for detail in status.details:
                info = error_details_pb2.ErrorInfo()
                if detail.Unpack(info):
                    return info.reason, info.domain
    raise AssertionError(f"no ErrorInfo in {err}")


def watch(stub, user, job_id, after, stop_after=None):
    """Reads WatchJob from `after`; returns (events without heartbeats, status code). With
    stop_after, the client cancels the stream after that many real events."""
    events = []
    call = stub.WatchJob(pb.WatchJobRequest(job_id=job_id, after_sequence=after),
                         metadata=metadata(user), timeout=30)
    try:
        for event in call:
            if event.WhichOneof("event") == "heartbeat":
                continue
            events.append(event)
            if stop_after is not None and len(events) == stop_after:
                call.cancel()
    except grpc.RpcError as err:
        return events, err.code()
    return events, grpc.StatusCode.OK


def check_plaintext():
    server = Server("--checker_delay=300ms", "--citations_per_call=1", "--llm_max_inflight=1")
    try:
        channel = grpc.insecure_channel(server.address)
        citations = pb_grpc.CitationServiceStub(channel)
        accounts = pb_grpc.AccountServiceStub(channel)
        user = f"python-{os.getpid()}"

        job = citations.SubmitBatch(
            pb.SubmitBatchRequest(citations=pb.CitationList(items=CITATIONS),
                                  style=pb.STYLE_APA7),
            metadata=metadata(user), timeout=DEADLINE_S)
        assert job.job_id and job.total == 3 and job.accepted == 3 and job.locked == 0, job
        ok(f"SubmitBatch: job {job.job_id}, total 3, accepted 3")

        first, code = watch(citations, user, job.job_id, 0, stop_after=2)
        assert code == grpc.StatusCode.CANCELLED, code
        assert [e.sequence for e in first] == [1, 2], [e.sequence for e in first]
        rest, code = watch(citations, user, job.job_id, first[-1].sequence)
        assert code == grpc.StatusCode.OK, code
        sequences = [e.sequence for e in first + rest]
        assert sequences == list(range(1, len(sequences) + 1)), sequences
        results = [e.result for e in first + rest if e.WhichOneof("event") == "result"]
        assert sorted(r.index for r in results) == [0, 1, 2], results
        last = (first + rest)[-1]
        assert last.WhichOneof("event") == "job_update", last
        assert last.job_update.state == pb.JOB_STATE_SUCCEEDED, last
        ok(f"WatchJob: dropped after 2 events, resumed from 2: sequences 1..{len(sequences)} "
           "with no gap or duplicate, 3 results, SUCCEEDED")

        got = citations.GetJob(pb.GetJobRequest(job_id=job.job_id), metadata=metadata(user),
                               timeout=DEADLINE_S)
        assert got.state == pb.JOB_STATE_SUCCEEDED and got.succeeded == 3, got
        assert sorted(r.index for r in got.results) == [0, 1, 2]
        assert got.last_sequence == sequences[-1]
        ok("GetJob: SUCCEEDED, 3 results, last_sequence matches the stream")

        slow = citations.SubmitBatch(
            pb.SubmitBatchRequest(citations=pb.CitationList(items=CITATIONS * 3)),
            metadata=(("x-free-user-id", user + "-cancel"),), timeout=DEADLINE_S)
        cancelled = citations.CancelJob(pb.CancelJobRequest(job_id=slow.job_id),
                                        metadata=(("x-free-user-id", user + "-cancel"),),
                                        timeout=DEADLINE_S)
        assert cancelled.state == pb.JOB_STATE_CANCELLED, cancelled
        events, code = watch(citations, user + "-cancel", slow.job_id, 0)
        assert code == grpc.StatusCode.OK
        assert events[-1].job_update.state == pb.JOB_STATE_CANCELLED, events[-1]
        ok(f"CancelJob: CANCELLED at once, {cancelled.succeeded} of "
           f"{cancelled.accepted} checked; the watch ends with the CANCELLED job_update")

        balance = accounts.GetBalance(pb.GetBalanceRequest(), metadata=metadata(user),
                                      timeout=DEADLINE_S)
        assert balance.kind == pb.USER_KIND_FREE, balance
        assert balance.free_used == 3 and balance.free_limit == 5, balance
        ok("GetBalance: FREE, 3 of 5 free citations used")

        second = citations.SubmitBatch(pb.SubmitBatchRequest(text=CITATIONS[2]),
                                       metadata=metadata(user), timeout=DEADLINE_S)
        listed = citations.ListJobs(pb.ListJobsRequest(), metadata=metadata(user),
                                    timeout=DEADLINE_S)
        assert [j.job_id for j in listed.jobs] == [second.job_id, job.job_id], listed
        assert listed.next_page_token == "" and not listed.jobs[1].results, listed
        page = citations.ListJobs(pb.ListJobsRequest(page_size=1), metadata=metadata(user),
                                  timeout=DEADLINE_S)
        assert [j.job_id for j in page.jobs] == [second.job_id] and page.next_page_token, page
        rest = citations.ListJobs(pb.ListJobsRequest(page_size=1, page_token=page.next_page_token),
                                  metadata=metadata(user), timeout=DEADLINE_S)
        assert [j.job_id for j in rest.jobs] == [job.job_id] and rest.next_page_token == "", rest
        gone = citations.ListJobs(pb.ListJobsRequest(state=pb.JOB_STATE_CANCELLED),
                                  metadata=metadata(user), timeout=DEADLINE_S)
        assert not gone.jobs, gone
        try:
            citations.ListJobs(pb.ListJobsRequest(page_token=page.next_page_token),
                               metadata=metadata(user + "-stranger"), timeout=DEADLINE_S)
            raise AssertionError("another caller used the page token")
        except grpc.RpcError as err:
            assert err.code() == grpc.StatusCode.INVALID_ARGUMENT, err
            assert error_info(err)[0] == "INVALID_PAGE_TOKEN", error_info(err)
        ok("ListJobs: newest first, pages of 1 with a token, state filter; another caller's "
           "token is INVALID_PAGE_TOKEN")

        try:
            citations.GetJob(pb.GetJobRequest(job_id=job.job_id),
                             metadata=metadata(user + "-stranger"), timeout=DEADLINE_S)
            raise AssertionError("another identity saw the job")
        except grpc.RpcError as err:
            assert err.code() == grpc.StatusCode.NOT_FOUND, err
            assert error_info(err) == ("JOB_NOT_FOUND", "citecheck.v1"), error_info(err)
        ok("GetJob(other identity): NOT_FOUND, ErrorInfo JOB_NOT_FOUND")
        channel.close()
        server.stop()
        ok("SIGTERM: exit code 0")
    except BaseException:
        print(server.log_text()[-4000:], file=sys.stderr)
        server.proc.kill()
        raise


def check_mutual_tls():
    certs = tempfile.mkdtemp(prefix="citecheck-python-tls-")
    server = None
    try:
        subprocess.run(["bash", MAKE_CERTS, certs], check=True, capture_output=True)

        def pem(name):
            with open(os.path.join(certs, name), "rb") as f:
                return f.read()

        server = Server(f"--tls_cert_file={certs}/server.pem",
                        f"--tls_key_file={certs}/server.key",
                        f"--tls_client_ca_file={certs}/ca.pem")
        target = server.address.replace("127.0.0.1:", "localhost:")
        user = f"python-tls-{os.getpid()}"
        credentials = grpc.ssl_channel_credentials(pem("ca.pem"), pem("client.key"),
                                                   pem("client.pem"))
        channel = grpc.secure_channel(target, credentials)
        citations = pb_grpc.CitationServiceStub(channel)
        job = citations.SubmitBatch(pb.SubmitBatchRequest(text=CITATIONS[1]),
                                    metadata=metadata(user), timeout=DEADLINE_S)
        events, code = watch(citations, user, job.job_id, 0)
        assert code == grpc.StatusCode.OK and events[-1].job_update.state == pb.JOB_STATE_SUCCEEDED
        got = citations.GetJob(pb.GetJobRequest(job_id=job.job_id), metadata=metadata(user),
                               timeout=DEADLINE_S)
        assert len(got.results) == 1, got
        ok("mTLS: submit, watch and get with a client certificate from the CA")
        channel.close()

        for what, channel in (
                ("TLS without a client certificate",
                 grpc.secure_channel(target, grpc.ssl_channel_credentials(pem("ca.pem")))),
                ("plaintext", grpc.insecure_channel(server.address))):
            try:
                pb_grpc.AccountServiceStub(channel).GetBalance(
                    pb.GetBalanceRequest(), metadata=metadata(user), timeout=DEADLINE_S)
                raise AssertionError(f"a {what} client was served")
            except grpc.RpcError as err:
                assert err.code() == grpc.StatusCode.UNAVAILABLE, err
            channel.close()
            ok(f"mTLS: a {what} client is refused (UNAVAILABLE)")
        server.stop()
        ok("mTLS server: SIGTERM, exit code 0")
    except BaseException:
        if server is not None:
            print(server.log_text()[-4000:], file=sys.stderr)
            server.proc.kill()
        raise
    finally:
        shutil.rmtree(certs, ignore_errors=True)


def main():
    started = time.monotonic()
    check_plaintext()
    check_mutual_tls()
    print(f"python client: {time.monotonic() - started:.1f} s")
    print(f"{passed} passed, 0 failed")


if __name__ == "__main__":
    main()
