#!/usr/bin/env python3
"""Checks of the deployment files beyond their schemas (scripts/check-packaging.sh).

    check_manifests.py compose docker-compose.yml
        the seven services, PostgreSQL, Redis, Qdrant, devinbox, Prometheus and Grafana
        are there; each service is built from the root Dockerfile with its SERVICE, and
        the Dockerfile builds its binary and knows its port; every bind-mounted path
        exists; the project name is valid.

    check_manifests.py k8s BUILT.yaml [--overlay dev|prod]
        the output of `kubectl kustomize`: every service has a Deployment with
        liveness, readiness and startup probes on /health/*, resources, a non-root
        security context, a Service, a PodDisruptionBudget and a NetworkPolicy
        selecting it; every ConfigMap and Secret a pod refers to is in the output; each
        HorizontalPodAutoscaler targets a Deployment of the output; the consumers scale
        on the external lag metric and ingestion on CPU.

Exits 1 naming each problem. Needs PyYAML.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import yaml

SERVICES = {
    "ingestion": 8001,
    "health": 8002,
    "agent": 8003,
    "alert": 8004,
    "scheduling": 8005,
    "warranty": 8006,
    "analytics": 8007,
}
# Consumers autoscale on consumer lag (the prometheus-adapter metric); ingestion on CPU;
# warranty not at all (one replica on a ReadWriteOnce volume).
LAG_SCALED = {"health", "agent", "alert", "scheduling", "analytics"}
LAG_METRIC = "fleet_consumer_lag"


def check_compose(path: Path) -> list[str]:
    problems = []
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    root = path.resolve().parent
    name = doc.get("name")
    if not isinstance(name, str) or not re.fullmatch(r"[a-z0-9][a-z0-9_-]*", name):
        problems.append(f"top-level name {name!r} is not a valid project name")
    services = doc.get("services") or {}
    wanted = set(SERVICES) | {"postgres", "redis", "qdrant", "devinbox", "prometheus", "grafana"}
    for missing in sorted(wanted - set(services)):
        problems.append(f"service {missing} is missing")
    for svc in SERVICES:
        s = services.get(svc) or {}
        build = s.get("build") or {}
        args = build.get("args") or {}
        if build.get("context") != "." or args.get("SERVICE") != svc:
            problems.append(f"{svc}: not built from the root Dockerfile with SERVICE={svc}")
        env = s.get("environment") or {}
        if f"0.0.0.0:{SERVICES[svc]}" != env.get("BIND_ADDR"):
            problems.append(f"{svc}: BIND_ADDR is not 0.0.0.0:{SERVICES[svc]}")
        if not str(env.get("DATABASE_URL", "")).endswith(f"/{svc}_db"):
            problems.append(f"{svc}: DATABASE_URL does not name {svc}_db")
    dockerfile = (root / "Dockerfile").read_text(encoding="utf-8")
    for svc, port in SERVICES.items():
        if f"--bin {svc} " not in dockerfile and f"--bin {svc}\n" not in dockerfile:
            problems.append(f"Dockerfile: the build stage does not build --bin {svc}")
        if f"{svc}) port={port} ;;" not in dockerfile:
            problems.append(f"Dockerfile: no default port {port} for {svc}")
    for svc, s in services.items():
        for volume in (s or {}).get("volumes") or []:
            source = volume.split(":", 1)[0] if isinstance(volume, str) else volume.get("source", "")
            if source.startswith((".", "/")) and not (root / source).exists():
                problems.append(f"{svc}: bind-mounted {source} does not exist")
    return problems


def check_k8s(docs: list[dict], overlay: str | None) -> list[str]:
    problems = []
    by_kind: dict[str, dict[str, dict]] = {}
    for d in docs:
        if not d:
            continue
        by_kind.setdefault(d["kind"], {})[d["metadata"]["name"]] = d
    deployments = by_kind.get("Deployment", {})
    config_maps = set(by_kind.get("ConfigMap", {}))
    secrets = set(by_kind.get("Secret", {}))
    services = by_kind.get("Service", {})

    def labels_match(selector: dict, labels: dict) -> bool:
        if not selector:
            return True
        for k, v in (selector.get("matchLabels") or {}).items():
            if labels.get(k) != v:
                return False
        for e in selector.get("matchExpressions") or []:
            value = labels.get(e["key"])
            if e["operator"] == "In" and value not in e["values"]:
                return False
            if e["operator"] == "NotIn" and value in e["values"]:
                return False
            if e["operator"] == "Exists" and value is None:
                return False
        return True

    # Every pod template's references.
    for kind in ("Deployment", "StatefulSet"):
        for name, d in by_kind.get(kind, {}).items():
            spec = d["spec"]["template"]["spec"]
            refs = []
            for c in spec.get("containers", []):
                for e in c.get("envFrom") or []:
                    if "configMapRef" in e:
                        refs.append(("ConfigMap", e["configMapRef"]["name"]))
                    if "secretRef" in e:
                        refs.append(("Secret", e["secretRef"]["name"]))
                for e in c.get("env") or []:
                    vf = e.get("valueFrom") or {}
                    if "secretKeyRef" in vf:
                        refs.append(("Secret", vf["secretKeyRef"]["name"]))
                    if "configMapKeyRef" in vf:
                        refs.append(("ConfigMap", vf["configMapKeyRef"]["name"]))
            for v in spec.get("volumes") or []:
                if "configMap" in v:
                    refs.append(("ConfigMap", v["configMap"]["name"]))
                if "secret" in v:
                    refs.append(("Secret", v["secret"]["secretName"]))
            for ref_kind, ref in refs:
                if ref not in (config_maps if ref_kind == "ConfigMap" else secrets):
                    problems.append(f"{kind} {name}: refers to {ref_kind} {ref}, which is not in the output")

    policies = by_kind.get("NetworkPolicy", {}).values()
    pdbs = by_kind.get("PodDisruptionBudget", {}).values()
    for svc, port in SERVICES.items():
        d = deployments.get(svc)
        if d is None:
            problems.append(f"no Deployment {svc}")
            continue
        pod = d["spec"]["template"]
        labels = pod["metadata"].get("labels") or {}
        c = pod["spec"]["containers"][0]
        for probe, path in (("livenessProbe", "/health/live"), ("readinessProbe", "/health/ready"), ("startupProbe", "/health/live")):
            got = ((c.get(probe) or {}).get("httpGet") or {}).get("path")
            if got != path:
                problems.append(f"Deployment {svc}: {probe} is not GET {path} (got {got})")
        if [p.get("containerPort") for p in c.get("ports", [])] != [port]:
            problems.append(f"Deployment {svc}: container port is not {port}")
        resources = c.get("resources") or {}
        if not (resources.get("requests") or {}).get("cpu") or not (resources.get("limits") or {}).get("memory"):
            problems.append(f"Deployment {svc}: no cpu request or memory limit")
        sc = pod["spec"].get("securityContext") or {}
        if not sc.get("runAsNonRoot") or (c.get("securityContext") or {}).get("allowPrivilegeEscalation") is not False:
            problems.append(f"Deployment {svc}: not non-root without privilege escalation")
        if pod["metadata"].get("annotations", {}).get("prometheus.io/port") != str(port):
            problems.append(f"Deployment {svc}: no prometheus.io/port annotation {port}")
        s = services.get(svc)
        if s is None or s["spec"]["ports"][0]["port"] != port or not labels_match({"matchLabels": s["spec"]["selector"]}, labels):
            problems.append(f"Service {svc}: missing, or not port {port} to the Deployment's pods")
        if not any(labels_match(p["spec"]["selector"], labels) for p in pdbs):
            problems.append(f"Deployment {svc}: no PodDisruptionBudget selects its pods")
        own = [p for p in policies if p["spec"].get("podSelector") and labels_match(p["spec"]["podSelector"], labels)
               and "Ingress" in p["spec"].get("policyTypes", []) and p["spec"].get("ingress")]
        if not own:
            problems.append(f"Deployment {svc}: no NetworkPolicy admits traffic to its pods")
        if not any(p["spec"].get("podSelector") == {} and set(p["spec"].get("policyTypes", [])) == {"Ingress", "Egress"}
                   and not p["spec"].get("ingress") and not p["spec"].get("egress") for p in policies):
            problems.append("no default-deny NetworkPolicy")
    hpas = by_kind.get("HorizontalPodAutoscaler", {})
    for name, h in hpas.items():
        target = h["spec"]["scaleTargetRef"]
        if target["kind"] != "Deployment" or target["name"] not in deployments:
            problems.append(f"HorizontalPodAutoscaler {name}: targets {target['kind']} {target['name']}, not in the output")
        if h["spec"]["minReplicas"] > h["spec"]["maxReplicas"]:
            problems.append(f"HorizontalPodAutoscaler {name}: minReplicas > maxReplicas")
    for svc in LAG_SCALED:
        metrics = (hpas.get(svc) or {}).get("spec", {}).get("metrics", [])
        if not any(m.get("type") == "External" and m["external"]["metric"]["name"] == LAG_METRIC for m in metrics):
            problems.append(f"HorizontalPodAutoscaler {svc}: does not scale on {LAG_METRIC}")
    if not any(m.get("type") == "Resource" and m["resource"]["name"] == "cpu"
               for m in (hpas.get("ingestion") or {}).get("spec", {}).get("metrics", [])):
        problems.append("HorizontalPodAutoscaler ingestion: does not scale on CPU")
    if overlay == "dev":
        for needed in ("postgres", "redis", "devinbox"):
            if needed not in services:
                problems.append(f"dev overlay: no Service {needed}")
    if overlay == "prod" and "Ingress" not in by_kind:
        problems.append("prod overlay: no Ingress")
    return problems


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="what", required=True)
    c = sub.add_parser("compose")
    c.add_argument("file", type=Path)
    k = sub.add_parser("k8s")
    k.add_argument("file", type=Path)
    k.add_argument("--overlay", choices=["dev", "prod"])
    args = ap.parse_args()
    if args.what == "compose":
        problems = check_compose(args.file)
    else:
        problems = check_k8s(list(yaml.safe_load_all(args.file.read_text(encoding="utf-8"))), args.overlay)
    for p in problems:
        print(f"check_manifests {args.what}: {args.file}: {p}", file=sys.stderr)
    if problems:
        return 1
    print(f"check_manifests {args.what}: {args.file}: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
