#!/usr/bin/env python3
"""Checks that every monitoring query names only metrics the services export.

The exported metrics are read from the Rust sources: every `metrics::counter!`,
`gauge!`, `histogram!` and `describe_*!` with a literal name under services/*/src and
shared-runtime/src (src/bin/ excluded: benchmark and development binaries are not
scraped). A histogram `x` exports `x_bucket`, `x_sum` and `x_count`. Prometheus' own
series (`up`, `scrape_*`, `ALERTS`) are allowed too.

The queries are the PromQL of:
  - every Grafana dashboard JSON under infra/grafana/dashboards (panel targets, rows'
    panels, template variables' label_values(...) / query_result(...));
  - infra/prometheus/alerts.yml (each rule's expr, and `query "..."` calls inside its
    annotation templates);
  - infra/k8s/monitoring/prometheus-adapter.yaml (seriesQuery and metricsQuery).

The label names a query matches on (`metric{label=...}`) must be ones the metric is
registered with (or `job`, `instance`, `namespace`, `pod`, added by the scrape), where
the Rust source spells them out.

Exits 1 naming each unknown metric or label (file, where, metric). With --emit-rules FILE it
also writes every query (Grafana and adapter template variables replaced by concrete
values) as recording rules, for `promtool check rules` to check their syntax.

Needs PyYAML (scripts/check-packaging.sh runs it in its virtualenv).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent

MACRO = re.compile(
    r"\b(?:metrics::)?(counter|gauge|histogram|describe_counter|describe_gauge|describe_histogram)!\s*\(\s*\"([^\"]+)\"",
    re.S,
)
PROMETHEUS_OWN = {
    "up",
    "scrape_duration_seconds",
    "scrape_samples_scraped",
    "scrape_samples_post_metric_relabeling",
    "scrape_series_added",
    "ALERTS",
    "ALERTS_FOR_STATE",
}
# PromQL words that are not metric names.
KEYWORDS = {
    "by", "without", "on", "ignoring", "group_left", "group_right", "offset", "bool",
    "and", "or", "unless", "atan2", "sum", "min", "max", "avg", "group", "stddev",
    "stdvar", "count", "count_values", "bottomk", "topk", "quantile", "limitk",
    "limit_ratio", "inf", "nan", "start", "end",
}
NAME = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")
TOKEN = re.compile(
    r"(?P<num>(?:0x[0-9a-fA-F]+|\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+)[a-zA-Z]*)"
    r"|(?P<id>[a-zA-Z_:][a-zA-Z0-9_:]*)"
)


class Exported:
    """A metric the services export: where it is registered, and its label names when
    every registration spells them out (None: not known, not checked)."""

    def __init__(self, where: str) -> None:
        self.where = where
        self.labels: set[str] | None = set()


def call_labels(text: str, start: int) -> set[str] | None:
    """Label names of the macro call whose name literal ends at `start`: `"k" => v`
    pairs, or `("k", v)` tuples of a labels array defined in the 12 lines above."""
    depth, i = 1, start
    while i < len(text) and depth:
        depth += {"(": 1, ")": -1}.get(text[i], 0)
        i += 1
    args = text[start:i]
    pairs = set(re.findall(r'"([A-Za-z_][A-Za-z0-9_]*)"\s*=>', args))
    if pairs:
        return pairs
    if not re.search(r"[A-Za-z_]", args.strip(" ,)\n")):
        return set()  # no labels at all
    above = "\n".join(text[:start].splitlines()[-12:])
    # `("k", v)` but not a macro call's first argument (`gauge!("name", …)`).
    tuples = set(re.findall(r'(?<![!\w])\(\s*"([A-Za-z_][A-Za-z0-9_]*)"\s*,', above))
    return tuples or None


def exported_metrics(root: Path) -> dict[str, Exported]:
    """Metric name -> where it is registered and its label names."""
    out: dict[str, Exported] = {}
    sources = list((root / "shared-runtime" / "src").rglob("*.rs"))
    for service_src in (root / "services").glob("*/src"):
        sources += [p for p in service_src.rglob("*.rs") if "bin" not in p.relative_to(service_src).parts[:1]]
    for path in sorted(sources):
        text = path.read_text(encoding="utf-8")
        for m in MACRO.finditer(text):
            kind, name = m.group(1), m.group(2)
            if not NAME.match(name):
                continue
            labels = None if kind.startswith("describe") else call_labels(text, m.end())
            names = [name]
            if kind.endswith("histogram"):
                names += [f"{name}_bucket", f"{name}_sum", f"{name}_count"]
            for n in names:
                e = out.setdefault(n, Exported(str(path.relative_to(root))))
                if kind.startswith("describe"):
                    continue
                if labels is None or e.labels is None:
                    e.labels = None
                else:
                    e.labels |= labels
                    if n.endswith("_bucket") and kind.endswith("histogram"):
                        e.labels.add("le")
    return out


# Labels Prometheus adds at scrape time (infra/prometheus/prometheus*.yml).
TARGET_LABELS = {"job", "instance", "namespace", "pod", "__name__"}
SELECTOR = re.compile(r"([a-zA-Z_:][a-zA-Z0-9_:]*)\s*\{([^{}]*)\}")
MATCHER = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)\s*"')


def selector_labels(expr: str) -> list[tuple[str, str]]:
    """(metric, label name) of each label matcher written after a metric name."""
    out = []
    for m in SELECTOR.finditer(concrete(expr)):
        for key in MATCHER.findall(m.group(2)):
            out.append((m.group(1), key))
    return out


def concrete(expr: str) -> str:
    """The query with Grafana's and prometheus-adapter's template variables replaced by
    values PromQL accepts (for promtool and for the tokenizer)."""
    e = expr
    e = re.sub(r"<<\s*\.LabelMatchers\s*>>", 'namespace="fleet"', e)
    e = re.sub(r"<<\s*\.GroupBy\s*>>", "namespace", e)
    e = re.sub(r"\$__(rate_interval|interval|range)\b", "5m", e)
    e = re.sub(r"\$\{[^}]+\}|\$[A-Za-z_][A-Za-z0-9_]*", ".*", e)
    return e


def metric_names(expr: str) -> list[str]:
    """The metric names a PromQL expression selects."""
    e = concrete(expr)
    # String literals (label values, regexes), then what only holds label names.
    e = re.sub(r'"(?:\\.|[^"\\])*"' r"|'(?:\\.|[^'\\])*'|`[^`]*`", '""', e)
    e = re.sub(r"\{[^{}]*\}", " ", e)
    e = re.sub(r"\[[^\[\]]*\]", " ", e)
    e = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^()]*\)", " ", e)
    names = []
    for m in TOKEN.finditer(e):
        word = m.group("id")
        if not word:
            continue
        rest = e[m.end():].lstrip()
        if rest.startswith("("):  # a function or an aggregation
            continue
        if word.lower() in KEYWORDS:
            continue
        names.append(word)
    return names


class Queries:
    """(file, where, expr) of every query found."""

    def __init__(self) -> None:
        self.items: list[tuple[str, str, str]] = []
        self.problems: list[str] = []

    def add(self, file: Path, where: str, expr: str) -> None:
        if expr and expr.strip():
            self.items.append((str(file.relative_to(ROOT)), where, expr))


def grafana(q: Queries, path: Path) -> None:
    try:
        dash = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as e:
        q.problems.append(f"{path.relative_to(ROOT)}: not valid JSON: {e}")
        return
    for key in ("uid", "title", "panels"):
        if key not in dash:
            q.problems.append(f"{path.relative_to(ROOT)}: no '{key}'")
    ids = []

    def panels(items):
        for p in items or []:
            yield p
            yield from panels(p.get("panels"))

    count = 0
    for p in panels(dash.get("panels")):
        ids.append(p.get("id"))
        for t in p.get("targets") or []:
            if "expr" in t:
                q.add(path, f"panel '{p.get('title')}' {t.get('refId', '')}", t["expr"])
                count += 1
            elif p.get("type") != "row":
                q.problems.append(f"{path.relative_to(ROOT)}: panel '{p.get('title')}' has a target without expr")
    dupes = {i for i in ids if ids.count(i) > 1}
    if dupes:
        q.problems.append(f"{path.relative_to(ROOT)}: duplicate panel ids {sorted(dupes)}")
    if count == 0:
        q.problems.append(f"{path.relative_to(ROOT)}: no queries")
    for v in (dash.get("templating") or {}).get("list") or []:
        if v.get("type") != "query":
            continue
        query = v.get("query")
        if isinstance(query, dict):
            query = query.get("query")
        for text in {query, v.get("definition")} - {None}:
            m = re.match(r"^\s*label_values\s*\((.*),\s*[A-Za-z_][A-Za-z0-9_]*\s*\)\s*$", text, re.S)
            if m:
                q.add(path, f"variable ${v.get('name')}", m.group(1))
                continue
            m = re.match(r"^\s*query_result\s*\((.*)\)\s*$", text, re.S)
            if m:
                q.add(path, f"variable ${v.get('name')}", m.group(1))
                continue
            q.problems.append(f"{path.relative_to(ROOT)}: variable ${v.get('name')}: query '{text}' not understood")


def alert_rules(q: Queries, path: Path) -> None:
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    rules = 0
    for group in doc.get("groups") or []:
        for rule in group.get("rules") or []:
            name = rule.get("alert") or rule.get("record") or "?"
            q.add(path, f"rule {name}", rule.get("expr", ""))
            rules += 1
            for key, text in {**(rule.get("annotations") or {}), **(rule.get("labels") or {})}.items():
                for inner in re.findall(r'query\s+"((?:\\.|[^"\\])*)"', str(text)):
                    q.add(path, f"rule {name} {key}", inner.replace('\\"', '"'))
    if rules == 0:
        q.problems.append(f"{path.relative_to(ROOT)}: no rules")


def adapter(q: Queries, path: Path) -> None:
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    for kind in ("rules", "externalRules", "resourceRules"):
        for i, rule in enumerate(doc.get(kind) or []):
            series = rule.get("seriesQuery", "")
            q.add(path, f"{kind}[{i}] seriesQuery", series)
            names = metric_names(series)
            metrics_query = rule.get("metricsQuery", "")
            if names:
                metrics_query = re.sub(r"<<\s*\.Series\s*>>", names[0], metrics_query)
            q.add(path, f"{kind}[{i}] metricsQuery", metrics_query)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--root", type=Path, default=ROOT, help="repository root (default: this script's)")
    ap.add_argument("--emit-rules", type=Path, help="write every query as a recording rule here")
    ap.add_argument("--list", action="store_true", help="print the exported metrics and exit")
    args = ap.parse_args()

    exported = exported_metrics(args.root)
    if args.list:
        for name, e in sorted(exported.items()):
            labels = "?" if e.labels is None else ",".join(sorted(e.labels))
            print(f"{name}\t{{{labels}}}\t{e.where}")
        return 0
    if len(exported) < 20:
        print(f"check_metrics: only {len(exported)} metrics found in the Rust sources: the scan is broken", file=sys.stderr)
        return 1

    q = Queries()
    dashboards = sorted((args.root / "infra" / "grafana" / "dashboards").glob("*.json"))
    if not dashboards:
        q.problems.append("infra/grafana/dashboards: no dashboard JSON")
    for path in dashboards:
        grafana(q, path)
    alert_rules(q, args.root / "infra" / "prometheus" / "alerts.yml")
    adapter(q, args.root / "infra" / "k8s" / "monitoring" / "prometheus-adapter.yaml")

    unknown = []
    for file, where, expr in q.items:
        names = metric_names(expr)
        if not names:
            q.problems.append(f"{file}: {where}: names no metric: {expr}")
        for name in names:
            if name not in exported and name not in PROMETHEUS_OWN:
                unknown.append(f"{file}: {where}: unknown metric '{name}'")
        for name, key in selector_labels(expr):
            e = exported.get(name)
            if e is not None and e.labels is not None and key not in e.labels | TARGET_LABELS:
                unknown.append(f"{file}: {where}: metric '{name}' has no label '{key}' (it has {sorted(e.labels)})")

    if args.emit_rules:
        rules = [{"record": f"check:query_{i}", "expr": concrete(expr)} for i, (_, _, expr) in enumerate(q.items)]
        args.emit_rules.write_text(yaml.safe_dump({"groups": [{"name": "queries", "rules": rules}]}, sort_keys=False))

    for line in q.problems + unknown:
        print(f"check_metrics: {line}", file=sys.stderr)
    if q.problems or unknown:
        print(f"check_metrics: FAILED ({len(unknown)} unknown metric(s) or label(s), {len(q.problems)} other problem(s))", file=sys.stderr)
        return 1
    used = sorted({n for _, _, e in q.items for n in metric_names(e)})
    print(f"check_metrics: {len(q.items)} queries in {len(dashboards)} dashboards, the alert rules and the adapter rules name {len(used)} metrics, all exported with the labels they match on ({len(exported)} exported)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
