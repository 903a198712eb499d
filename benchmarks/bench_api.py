"""Partner-API load benchmark: GET /api/v1/vendors and GET /api/v1/stats under gunicorn.

    .venv/bin/python -m benchmarks.bench_api [--database-url postgresql://postgres@127.0.0.1:5432/test]
        [--duration 15] [--rounds 5] [--connections 8] [--threads 1] [--max-requests 200000]
        [--python-load] [--no-read-cache] [--baseline GIT_REF] [--floor] [--check]

Targets: each endpoint sustains at least 500 requests/s with p99 under 50 ms and no
errors (issue 6), and at least 400 requests/s with its read cache off (``--no-read-cache``,
issue 12: every partner paging with its own filters misses the cache), served by
``gunicorn -w 2`` on PostgreSQL, loaded from a second process over loopback.

Steps: create a throw-away PostgreSQL database next to ``--database-url`` (default
``MARKET4_TEST_DATABASE_URL``), migrate it and seed the demo district (``market4 setup
--demo-if-empty``: 15 markets, 1,420 stalls; then ``VACUUM ANALYZE``), create a partner token (Agribank branch,
445 vendors in scope) and a staff token (legacy district Châu Đức), start gunicorn with
two workers (the default sync worker, exactly ``gunicorn -w 2 wsgi:app``; ``--threads N``
switches to ``-k gthread --threads N``) on a free loopback port (``MARKET4_ENV=production``, a random secret, the API
rate limit switched off — it would answer 429 long before 500 requests/s; the read cache
on, as in production, unless ``--no-read-cache``), then per
endpoint: a warm-up, then the measured run, cut into ``--rounds`` slices. With
``--baseline`` the baseline's code is served at the same time by its own gunicorn and
the slices alternate between the two (see :func:`serve_and_load`). The load generator is ``wrk`` (Debian
package) when installed — bounded by ``--duration`` — otherwise a Python generator in a
separate process with keep-alive connections, bounded by ``--duration`` and
``--max-requests``. At the end gunicorn is stopped and the database dropped, also on
failure or Ctrl-C.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
TARGET_RPS = 500.0
TARGET_RPS_UNCACHED = 400.0
TARGET_P99_MS = 50.0
PARTNER_EMAIL = "agribank@demo.market4.vn"
STAFF_EMAIL = "huyenchauduc@demo.market4.vn"
ENDPOINTS = {
    "vendors": "/api/v1/vendors",
    "stats": "/api/v1/stats?area=2008/district/750",
}


@dataclass
class Result:
    name: str
    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    tool: str
    reference: bool = False  # a yardstick (--floor), not held to the targets
    rounds: list[float] = field(default_factory=list)  # requests/s of each slice
    # (percentile, ms) points of the latency distribution, to merge slices by
    percentiles: list[tuple[float, float]] = field(default_factory=list)

    def passed(self, target_rps: float) -> bool:
        return self.rps >= target_rps and self.p99_ms < TARGET_P99_MS and self.errors == 0


# --- database and server ---------------------------------------------------------------


class Database:
    def __init__(self, base_url: str) -> None:
        url = make_url(base_url)
        self.admin = create_engine(
            url.set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT"
        )
        self.name = f"market4_bench_api_{uuid.uuid4().hex[:8]}"
        self.url = url.set(drivername="postgresql", database=self.name).render_as_string(
            hide_password=False
        )

    def __enter__(self) -> Database:
        with self.admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{self.name}"'))
        return self

    def analyze(self) -> None:
        """VACUUM ANALYZE the fresh tables now, as autovacuum would soon after a bulk load, so
        the planner has statistics and no vacuum of the seed data runs during the load."""
        engine = create_engine(
            make_url(self.url).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT"
        )
        with engine.connect() as connection:
            connection.execute(text("VACUUM ANALYZE"))
        engine.dispose()

    def __exit__(self, *exc: object) -> None:
        with self.admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
        self.admin.dispose()
        print(f"dropped database {self.name}")


def app_env(database_url: str, *, read_cache: bool = True) -> dict[str, str]:
    env = {
        **os.environ,
        "MARKET4_ENV": "production",
        "MARKET4_SECRET_KEY": secrets.token_hex(32),
        "MARKET4_DATABASE_URL": database_url,
        "MARKET4_API_RATE_LIMIT_PER_MINUTE": "0",
    }
    if not read_cache:
        env["MARKET4_API_READ_CACHE_SECONDS"] = "0"
    return env


def market4(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [str(VENV_BIN / "market4"), *args],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Gunicorn:
    def __init__(self, env: dict[str, str], workers: int, threads: int, root: Path = ROOT) -> None:
        self.env, self.workers, self.threads, self.root = env, workers, threads, root
        if root != ROOT:  # another version of the code: its package first on the path
            self.env = {**env, "PYTHONPATH": str(root)}
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> Gunicorn:
        self.process = subprocess.Popen(
            [
                str(VENV_BIN / "gunicorn"),
                "-w",
                str(self.workers),
                "-b",
                f"127.0.0.1:{self.port}",
                *(["-k", "gthread", "--threads", str(self.threads)] if self.threads > 1 else []),
                "--log-level",
                "warning",
                "wsgi:app",
            ],
            cwd=self.root,
            env=self.env,
            start_new_session=True,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=2):
                    return self
            except OSError:
                time.sleep(0.3)
        raise RuntimeError("gunicorn did not answer /healthz within 30 s")

    def __exit__(self, *exc: object) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        print(f"stopped gunicorn (port {self.port})")


# --- load ------------------------------------------------------------------------------

_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _ms(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value).groups()
    return float(number) * _UNITS[unit]


# Printed by wrk when a run ends: points of its latency distribution (µs), so that runs
# cut into slices can be merged into one distribution (``merged_percentile``).
PERCENTILES = (50, 75, 90, 95, 97, 98, 99, 99.5, 99.9)
WRK_SCRIPT = (
    "done = function(summary, latency, requests)\n"
    f"  for _, p in ipairs({{{', '.join(str(p) for p in PERCENTILES)}}}) do\n"
    '    io.write(string.format("pct %g %d\\n", p, latency:percentile(p)))\n'
    "  end\n"
    '  io.write(string.format("pct 100 %d\\n", latency.max))\n'
    "end\n"
)


def run_wrk(url: str, token: str, duration: int, connections: int, name: str) -> Result:
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
        script.write(WRK_SCRIPT)
        script.flush()
        out = _wrk(script.name, url, token, duration, connections)
    requests_ = int(re.search(r"(\d+) requests in ([\d.]+)(ms|s|m)", out).group(1))
    seconds = _ms(re.search(r"requests in ([\d.]+(?:ms|s|m))", out).group(1)) / 1000
    p50 = _ms(re.search(r"50%\s+([\d.]+\w+)", out).group(1))
    p99 = _ms(re.search(r"99%\s+([\d.]+\w+)", out).group(1))
    errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors += int(non_2xx.group(1)) if non_2xx else 0
    points = [
        (float(p), int(us) / 1000) for p, us in re.findall(r"^pct ([\d.]+) (\d+)$", out, re.M)
    ]
    return Result(
        name, requests_, seconds, requests_ / seconds, p50, p99, errors, "wrk", percentiles=points
    )


def _wrk(script: str, url: str, token: str, duration: int, connections: int) -> str:
    return subprocess.run(
        [
            "wrk",
            "-s",
            script,
            "-t",
            "1",
            "-c",
            str(connections),
            "-d",
            f"{duration}s",
            "--latency",
            "--timeout",
            "5s",
            "-H",
            f"Authorization: Bearer {token}",
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def run_python(
    url: str, token: str, duration: int, connections: int, max_requests: int, name: str
) -> Result:
    """A separate process (this module's ``--load-worker``) so the client never shares a GIL."""
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks.bench_api",
            "--load-worker",
            url,
            token,
            str(duration),
            str(connections),
            str(max_requests),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    data = json.loads(done.stdout)
    return Result(
        name,
        data["requests"],
        data["seconds"],
        data["requests"] / data["seconds"],
        data["p50_ms"],
        data["p99_ms"],
        data["errors"],
        "python",
        percentiles=[tuple(point) for point in data["percentiles"]],
    )


def load_worker(url: str, token: str, duration: float, connections: int, max_requests: int) -> None:
    """Keep-alive HTTP/1.1 clients on threads; prints one JSON line with the figures."""
    import http.client
    import threading
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop_at = time.perf_counter() + duration

    def client() -> None:
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=5)
        mine: list[float] = []
        while time.perf_counter() < stop_at and len(latencies) + len(mine) < max_requests:
            started = time.perf_counter()
            try:
                conn.request("GET", target, headers={"Authorization": f"Bearer {token}"})
                response = conn.getresponse()
                response.read()
                ok = response.status == 200
            except OSError:
                ok = False
                conn.close()
                conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=5)
            mine.append(time.perf_counter() - started)
            if not ok:
                with lock:
                    errors[0] += 1
        with lock:
            latencies.extend(mine)

    started = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    latencies.sort()

    def pct(p: float) -> float:
        return (
            latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000 if latencies else 0.0
        )

    print(
        json.dumps(
            {
                "requests": len(latencies),
                "seconds": seconds,
                "p50_ms": pct(0.5),
                "p99_ms": pct(0.99),
                "percentiles": [(p, pct(p / 100)) for p in (*PERCENTILES, 100)],
                "errors": errors[0],
            }
        )
    )


# --- main ------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "MARKET4_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test"
        ),
    )
    parser.add_argument("--duration", type=int, default=15, help="Seconds per measured run.")
    parser.add_argument("--warmup", type=int, default=3, help="Seconds of warm-up per endpoint.")
    parser.add_argument(
        "--rounds",
        type=int,
        default=5,
        help="Slices each measured run is cut into, taken in turn on every version served.",
    )
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="Threads per worker; above 1 uses gunicorn's gthread worker (keep-alive).",
    )
    parser.add_argument("--max-requests", type=int, default=200_000, help="Python generator only.")
    parser.add_argument(
        "--python-load", action="store_true", help="Use the Python generator even if wrk exists."
    )
    parser.add_argument(
        "--no-read-cache",
        action="store_true",
        help="Switch the API's read cache off: every request runs the view (target 400 req/s).",
    )
    parser.add_argument(
        "--baseline",
        metavar="GIT_REF",
        help="Also serve the code of GIT_REF (same database, same run) and print the ratio.",
    )
    parser.add_argument(
        "--floor",
        action="store_true",
        help="Also load two yardsticks on the same server: GET /healthz (the web stack and "
        "one SELECT 1, no token) and GET /api/v1/vendors/<id> (a token and one vendor).",
    )
    parser.add_argument("--check", action="store_true", help="Exit 1 when a target is missed.")
    parser.add_argument("--load-worker", nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.load_worker:
        url, token, duration, connections, max_requests = args.load_worker
        load_worker(url, token, float(duration), int(connections), int(max_requests))
        return 0

    use_wrk = shutil.which("wrk") is not None and not args.python_load

    def load(url: str, token: str, seconds: int, label: str) -> Result:
        if use_wrk:
            return run_wrk(url, token, seconds, args.connections, label)
        return run_python(url, token, seconds, args.connections, args.max_requests, label)

    print(
        f"load average before: {os.getloadavg()[0]:.2f} (nproc {os.cpu_count()}); gunicorn -w {args.workers}"
        + (f" -k gthread --threads {args.threads}" if args.threads > 1 else " (sync)")
        + f"; {'wrk' if use_wrk else 'python'} with {args.connections} connections"
        + ("; read cache OFF" if args.no_read_cache else "")
    )
    with Database(args.database_url) as database:
        env = app_env(database.url, read_cache=not args.no_read_cache)
        print(f"seeding demo district into {database.name} …")
        market4(env, "setup", "--demo-if-empty", "--allow-demo-in-production")
        database.analyze()
        tokens = {
            "vendors": market4(
                env, "tokens", "create", "--email", PARTNER_EMAIL, "--name", "bench"
            ).split()[-1],
            "stats": market4(
                env, "tokens", "create", "--email", STAFF_EMAIL, "--name", "bench"
            ).split()[-1],
        }
        versions = [("", ROOT)]
        if args.baseline:
            versions.insert(0, (f"{args.baseline}: ", export_tree(args.baseline)))
        results = serve_and_load(env, args, tokens, load, versions)
    if args.baseline:
        print()
        for name in ENDPOINTS:
            old = next(r for r in results if r.name == f"{args.baseline}: {name}")
            new = next(r for r in results if r.name == name)
            by_round = sorted(n / o for n, o in zip(new.rounds, old.rounds, strict=True))
            print(
                f"{name}: {new.rps / old.rps:.2f}x the requests/s of {args.baseline} "
                f"(rounds side by side: median {by_round[len(by_round) // 2]:.2f}x, "
                f"{by_round[0]:.2f}–{by_round[-1]:.2f}x; faster in "
                f"{sum(ratio > 1 for ratio in by_round)} of {len(by_round)})"
            )
    print()
    target_rps = TARGET_RPS_UNCACHED if args.no_read_cache else TARGET_RPS
    print(
        f"{'endpoint':<20} {'tool':<7} {'requests':>9} {'seconds':>8} {'req/s':>8} {'p50 ms':>7} "
        f"{'p99 ms':>7} {'errors':>6}  verdict (≥{target_rps:.0f} req/s, p99 < {TARGET_P99_MS:.0f} ms, 0 errors)"
    )
    for r in results:
        verdict = "(yardstick)" if r.reference else "PASS" if r.passed(target_rps) else "FAIL"
        print(
            f"{r.name:<20} {r.tool:<7} {r.requests:>9,} {r.seconds:>8.1f} {r.rps:>8.0f} {r.p50_ms:>7.1f} "
            f"{r.p99_ms:>7.1f} {r.errors:>6}  {verdict}"
        )
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    held = [r for r in results if not r.reference]
    return 1 if args.check and not all(r.passed(target_rps) for r in held) else 0


def export_tree(ref: str) -> Path:
    """The files of ``ref`` in a temporary folder (removed at exit)."""
    import atexit
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="market4-baseline-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    archive = subprocess.run(["git", "archive", ref], cwd=ROOT, check=True, capture_output=True)
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive.stdout, check=True)
    return folder


def serve_and_load(env, args, tokens, load, versions: list[tuple[str, Path]]) -> list[Result]:
    """Every version served at once, each on its own gunicorn, loaded in turn: per
    endpoint ``--rounds`` rounds, each a slice of ``--duration`` on every version. The
    machine's speed drifts by tens of percent within a minute; slices taken side by side
    see the same drift, so the ratio between versions holds where whole runs one after
    the other did not."""
    results = []
    with ExitStack() as stack:
        servers = [
            (label, stack.enter_context(Gunicorn(env, args.workers, args.threads, root)))
            for label, root in versions
        ]
        first_vendor = None
        for label, server in servers:
            first_vendor = _describe(label, server, tokens)
        targets = [(name, path, tokens[name], False) for name, path in ENDPOINTS.items()]
        if args.floor:
            # How far below the targets the stack itself sits: the same server, the
            # lightest answers it gives (the token is sent to /healthz too, unread).
            targets += [
                ("healthz", "/healthz", tokens["vendors"], True),
                ("one vendor", f"/api/v1/vendors/{first_vendor}", tokens["vendors"], True),
            ]
        rounds = max(1, args.rounds)
        seconds = max(1, round(args.duration / rounds))
        for name, path, token, reference in targets:
            slices: dict[str, list[Result]] = {label: [] for label, _ in servers}
            for label, server in servers:
                load(_url(server, path), token, args.warmup, f"{label}{name} (warm-up)")
            for _ in range(rounds):
                for label, server in servers:
                    slices[label].append(load(_url(server, path), token, seconds, label + name))
            for label, _ in servers:
                results.append(replace(_combined(slices[label]), reference=reference))
    return results


def _url(server: Gunicorn, path: str) -> str:
    return f"http://127.0.0.1:{server.port}{path}"


def _describe(label: str, server: Gunicorn, tokens: dict[str, str]) -> int:
    """Print what each endpoint answers; the id of the first vendor listed."""
    first_vendor = 0
    for name, path in ENDPOINTS.items():
        request = urllib.request.Request(
            _url(server, path), headers={"Authorization": f"Bearer {tokens[name]}"}
        )
        with urllib.request.urlopen(request) as response:
            body = json.loads(response.read())
            size = len(json.dumps(body))
        print(
            f"{label}{name}: GET {path} -> 200, {size:,} bytes"
            + (
                f", {len(body['items'])} of {body['total']} vendors"
                if name == "vendors"
                else f", {body['markets_total']} markets, {body['stalls_total']} stalls"
            )
        )
        if name == "vendors":
            first_vendor = body["items"][0]["id"]
    return first_vendor


def _combined(slices: list[Result]) -> Result:
    """One result from a version's slices: requests over seconds, and p50 and p99 of
    the slices' latencies taken together (:func:`merged_percentile`)."""
    requests_ = sum(r.requests for r in slices)
    seconds = sum(r.seconds for r in slices)
    points = {p: merged_percentile(slices, p) for p in (*PERCENTILES, 100)}
    return replace(
        slices[0],
        requests=requests_,
        seconds=seconds,
        rps=requests_ / seconds,
        p50_ms=points[50],
        p99_ms=points[99],
        errors=sum(r.errors for r in slices),
        rounds=[r.rps for r in slices],
        percentiles=list(points.items()),  # of all the slices, not the first one's
    )


def merged_percentile(slices: list[Result], percentile: float) -> float:
    """The ``percentile`` of all the slices' requests together: the latency where the
    slices' distributions, weighted by their requests, reach it. Each distribution is
    known at a few points (``Result.percentiles``) and read linearly between them."""

    def share_below(result: Result, ms: float) -> float:
        points = [(0.0, 0.0), *sorted((v, p) for p, v in result.percentiles)]
        for (v0, p0), (v1, p1) in itertools.pairwise(points):
            if ms <= v1:
                return p0 + (p1 - p0) * ((ms - v0) / (v1 - v0) if v1 > v0 else 1.0)
        return 100.0

    total = sum(r.requests for r in slices)
    candidates = sorted({v for r in slices for _, v in r.percentiles})
    previous, previous_share = 0.0, 0.0
    for ms in candidates:
        share = sum(r.requests * share_below(r, ms) for r in slices) / total
        if share >= percentile:
            if share == previous_share:
                return ms
            return previous + (ms - previous) * (percentile - previous_share) / (
                share - previous_share
            )
        previous, previous_share = ms, share
    return candidates[-1] if candidates else 0.0


if __name__ == "__main__":
    sys.exit(main())
