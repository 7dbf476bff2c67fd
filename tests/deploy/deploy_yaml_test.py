#!/usr/bin/python3
"""Checks every deployment file against the binary it deploys:

    deploy_yaml_test.py SERVER_BINARY REPO_ROOT

- deploy/compose.yaml and every deploy/k8s/*.yaml parse as YAML;
- every CITECHECK_<NAME> variable and every --flag given to citecheck-server exists in
  `citecheck-server --help`;
- ports agree: the listen addresses (environment) with the container ports, the Deployment's
  probes and annotations, the Services' target ports, the compose port mappings and the image's
  EXPOSE and ENV lines;
- terminationGracePeriodSeconds is above --shutdown_grace plus the preStop pause;
- every metric the sample alert and recording rules name is exposed by /metrics.
Prints one line per check and "N passed, 0 failed"; exits non-zero on the first failure.
"""

import glob
import os
import re
import sys

import yaml

from ops_checks import promql_metrics, server_flags, server_metric_names

SERVER, ROOT = sys.argv[1], sys.argv[2]
passed = 0


def ok(message):
    global passed
    passed += 1
    print(f"ok {passed} - {message}", flush=True)


def port_of(address):
    return int(address.rsplit(":", 1)[1])


def seconds(duration):
    """absl duration text ("10s", "1m30s", "500ms") in seconds."""
    total = 0.0
    for number, unit in re.findall(r"([\d.]+)(ms|h|m|s)", duration):
        total += float(number) * {"ms": 0.001, "s": 1, "m": 60, "h": 3600}[unit]
    return total


def check_variables(where, variables, flags):
    for name in variables:
        if name.startswith("CITECHECK_"):
            flag = name[len("CITECHECK_"):].lower()
            assert flag in flags, f"{where}: {name} names no flag of citecheck-server (--{flag})"


def check_args(where, args, flags):
    for arg in args or []:
        if isinstance(arg, str) and arg.startswith("--"):
            flag = arg[2:].split("=", 1)[0]
            assert flag in flags, f"{where}: {arg} is not a flag of citecheck-server"


def main():
    flags = server_flags(SERVER)
    ok(f"citecheck-server --help lists {len(flags)} flags")
    metrics = server_metric_names(SERVER)
    ok(f"/metrics exposes {len(metrics)} sample names")

    # ---- the image ----
    dockerfile = open(os.path.join(ROOT, "deploy/docker/Dockerfile")).read()
    runtime = dockerfile[dockerfile.index("AS runtime\n"):]
    exposed = {int(p) for p in re.findall(r"^EXPOSE (.+)$", runtime, re.M)[0].split()}
    image_env = dict(re.findall(r"(CITECHECK_\w+)=(\S+)", runtime))
    check_variables("Dockerfile", image_env, flags)
    image_ports = {port_of(image_env["CITECHECK_LISTEN"]),
                   port_of(image_env["CITECHECK_METRICS_LISTEN"])}
    assert image_ports == exposed, f"Dockerfile: EXPOSE {exposed} but listens on {image_ports}"
    ok(f"Dockerfile: ENV names real flags; EXPOSE {sorted(exposed)} = the listen ports")

    # ---- compose ----
    compose = yaml.safe_load(open(os.path.join(ROOT, "deploy/compose.yaml")))
    servers = 0
    names = set()
    for name, service in compose["services"].items():
        environment = service.get("environment", {})
        if isinstance(environment, list):
            environment = dict(item.split("=", 1) for item in environment)
        if not service["image"].startswith("localhost/citecheck:"):
            continue
        servers += 1
        where = f"compose.yaml {name}"
        check_variables(where, environment, flags)
        check_args(where, service.get("command"), flags)
        listen = port_of(environment.get("CITECHECK_LISTEN", image_env["CITECHECK_LISTEN"]))
        metrics_port = port_of(environment.get("CITECHECK_METRICS_LISTEN",
                                               image_env["CITECHECK_METRICS_LISTEN"]))
        container_ports = {int(str(p).rsplit(":", 1)[1]) for p in service.get("ports", [])}
        assert container_ports == {listen, metrics_port}, \
            f"{where}: ports map {container_ports}, the server listens on {listen}, {metrics_port}"
        assert environment.get("CITECHECK_STORE") == "mysql" and "mariadb:3306" in \
            environment["CITECHECK_MYSQL_URL"], f"{where}: not on the compose MariaDB"
        assert environment["CITECHECK_LLM_BASE_URL"].startswith("http://fake-llm:8080/"), where
        names.add(environment["CITECHECK_REPLICA_NAME"])
    assert servers == 2, f"compose.yaml: {servers} citecheck replicas, not 2"
    assert len(names) == 2, f"compose.yaml: the replicas need distinct names, not {names}"
    assert {"mariadb", "fake-llm"} <= set(compose["services"]), "compose.yaml: services missing"
    ok("compose.yaml: two replicas, MariaDB and the fake LLM; variables are flags; ports agree")

    # ---- kubernetes ----
    docs = []
    for path in sorted(glob.glob(os.path.join(ROOT, "deploy/k8s/*.yaml"))):
        for doc in yaml.safe_load_all(open(path)):
            if doc:
                docs.append((os.path.basename(path), doc))
    kinds = {doc["kind"] for _, doc in docs}
    for kind in ("Deployment", "Service", "PodDisruptionBudget", "HorizontalPodAutoscaler",
                 "Secret", "PrometheusRule", "StatefulSet", "ConfigMap"):
        assert kind in kinds, f"deploy/k8s has no {kind}"
    ok(f"deploy/k8s: {len(docs)} objects parse ({', '.join(sorted(kinds))})")

    deployment = next(doc for _, doc in docs if doc["kind"] == "Deployment")
    pod = deployment["spec"]["template"]["spec"]
    container = next(c for c in pod["containers"] if c["image"].startswith("localhost/citecheck:"))
    env = {e["name"]: e.get("value") for e in container["env"]}
    assert "CITECHECK_REPLICA_NAME" in env, "deployment.yaml: replicas need distinct names"
    check_variables("deployment.yaml", env, flags)
    check_args("deployment.yaml", container.get("args"), flags)
    check_args("deployment.yaml", container.get("command"), flags)
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert ports["grpc"] == port_of(env.get("CITECHECK_LISTEN") or image_env["CITECHECK_LISTEN"])
    assert ports["metrics"] == port_of(env.get("CITECHECK_METRICS_LISTEN")
                                       or image_env["CITECHECK_METRICS_LISTEN"])
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert container[probe]["grpc"]["port"] == ports["grpc"], f"{probe} is not on gRPC"
    annotations = deployment["spec"]["template"]["metadata"]["annotations"]
    assert int(annotations["prometheus.io/port"]) == ports["metrics"]
    for key in ("requests", "limits"):
        assert {"cpu", "memory"} <= set(container["resources"][key]), f"resources.{key}"
    ok(f"deployment.yaml: variables are flags; grpc {ports['grpc']} and metrics "
       f"{ports['metrics']} agree with the listen addresses, probes and annotations")

    selector = deployment["spec"]["selector"]["matchLabels"]
    services = [doc for _, doc in docs if doc["kind"] == "Service"
                and doc["spec"]["selector"] == selector]
    assert any(s["spec"].get("clusterIP") == "None" for s in services), "no headless Service"
    assert any(s["spec"].get("type") == "ClusterIP" and s["spec"].get("clusterIP") != "None"
               for s in services), "no ClusterIP Service"
    for service in services:
        for port in service["spec"]["ports"]:
            target = port["targetPort"]
            number = ports[target] if isinstance(target, str) else target
            assert number in ports.values(), f"Service {service['metadata']['name']}: {target}"
            if port["name"] == "grpc":
                assert number == ports["grpc"]
    ok("service.yaml: a headless and a ClusterIP Service whose target ports are the pod's")

    for kind in ("PodDisruptionBudget",):
        pdb = next(doc for _, doc in docs if doc["kind"] == kind)
        assert pdb["spec"]["selector"]["matchLabels"] == selector
    hpa = next(doc for _, doc in docs if doc["kind"] == "HorizontalPodAutoscaler")
    assert hpa["spec"]["scaleTargetRef"]["name"] == deployment["metadata"]["name"]
    assert hpa["spec"]["metrics"][0]["resource"]["name"] == "cpu"
    ok("pdb.yaml and hpa.yaml select the Deployment (HPA on CPU)")

    grace_text = env.get("CITECHECK_SHUTDOWN_GRACE") or flags["shutdown_grace"]
    grace = seconds(grace_text)
    pre_stop = container["lifecycle"]["preStop"]["exec"]["command"]
    pause = float(pre_stop[-1]) if pre_stop[0].endswith("sleep") else 0
    termination = pod["terminationGracePeriodSeconds"]
    assert termination > grace + pause, \
        f"terminationGracePeriodSeconds {termination} <= shutdown grace {grace} + preStop {pause}"
    ok(f"terminationGracePeriodSeconds {termination} > shutdown grace {grace:g} s + preStop "
       f"{pause:g} s")

    from_secret = [e for e in container["env"] if "secretKeyRef" in e.get("valueFrom", {})]
    secret_keys = {e["valueFrom"]["secretKeyRef"]["key"] for e in from_secret}
    secret = next(doc for _, doc in docs if doc["kind"] == "Secret"
                  and doc["metadata"]["name"] == "citecheck")
    assert secret_keys <= set(secret["stringData"]), f"secret keys {secret_keys}"
    assert {"CITECHECK_MYSQL_URL", "CITECHECK_ADMIN_KEY", "OPENAI_API_KEY"} <= {
        e["name"] for e in from_secret}, "keys not from the Secret"
    ok("secret.yaml holds the database URL, the admin key and the LLM key the pod reads")

    rules = next(doc for _, doc in docs if doc["kind"] == "PrometheusRule")
    count = 0
    for group in rules["spec"]["groups"]:
        for rule in group["rules"]:
            used = promql_metrics(rule["expr"])
            missing = used - metrics
            assert not missing, f"rule {rule.get('alert') or rule.get('record')}: {missing} " \
                                "not in /metrics"
            count += 1
    ok(f"prometheus-rules.yaml: the metrics of all {count} rules are exposed by /metrics")
    print(f"{passed} passed, 0 failed")


if __name__ == "__main__":
    main()
