#!/usr/bin/python3
"""Placement's half of the HTTP-against-HTTP find-and-claim comparison (Lessor's half: `Lessor.Bench claims-peer`).

Runs against a Placement started and loaded by ../shared/peers/placement (setup.sh, load.py: 10,000 nodes x 8 GPUs,
fabrics of 64) and reuses that folder's bench.py (same requests, same /proc accounting of gunicorn + PostgreSQL).
What it adds: server CPU per *successful* find-and-claim, which bench.py does not record for its find+claim race.
  a) fleet-wide: GET /allocation_candidates?resources=CUSTOM_GPU_H100:8,VCPU:16,MEMORY_MB:131072&limit=1, then PUT
     /allocations/{consumer} of what it returned; 1 client (a Lessor claim also finds fleet-wide);
  b) one fabric: the same with member_of=<fabric>, 1 client (bench.py's find+claim_c1);
  c) one fabric, 8 racing clients, retrying on 409 (bench.py's find+claim_c8).
Every allocation made is deleted at the end. One JSON line per measurement to stdout and --out.
"""
import argparse, json, os, sys, time, uuid

PEER = os.environ.get("PLACEMENT_PEER", os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../../../../shared/peers/placement"))
os.environ.setdefault("RUN", os.path.join(os.environ.get("TMPDIR", "/tmp"), "placement-peer", "run"))
sys.path.insert(0, os.path.abspath(PEER))
from bench import (sess, put_alloc, run_find_and_claim, delete_allocs, server_cpu_s, cpu_delta,  # noqa: E402
                   NODES_PER_FABRIC, GPU_TYPES)

R = "CUSTOM_GPU_H100:8,VCPU:16,MEMORY_MB:131072"


def fleet_wide(base, n, timeout):
    consumers, lat, conflicts = [], [], 0
    for _ in range(n):
        t = time.perf_counter()
        ars = sess().get(base + "/allocation_candidates", params={"resources": R, "limit": "1"}, timeout=timeout).json()["allocation_requests"]
        if not ars:
            break
        c = str(uuid.uuid4())
        body = {"allocations": ars[0]["allocations"], "consumer_generation": None, "consumer_type": "INSTANCE",
                "project_id": "11111111-1111-1111-1111-111111111111", "user_id": "22222222-2222-2222-2222-222222222222"}
        _, code, _ = put_alloc(base, c, body, timeout)
        if code == 204:
            consumers.append(c); lat.append(time.perf_counter() - t)
        elif code == 409:
            conflicts += 1
        else:
            raise RuntimeError(f"claim HTTP {code}")
    return consumers, lat, conflicts


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", default="http://127.0.0.1:18778")
    ap.add_argument("--nodes", type=int, default=10000)
    ap.add_argument("--fleet-claims", type=int, default=10)
    ap.add_argument("--timeout", type=float, default=120)
    ap.add_argument("--round", default="")
    ap.add_argument("--out")
    a = ap.parse_args()
    base = a.url.rstrip("/")
    nfab = (a.nodes + NODES_PER_FABRIC - 1) // NODES_PER_FABRIC
    h100 = [f for f in range(nfab) if GPU_TYPES[f % len(GPU_TYPES)] == "H100"]

    def emit(d):
        d = {"peer": "placement", "nodes": a.nodes, "round": a.round, "loadavg1": float(open("/proc/loadavg").read().split()[0]),
             "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), **d}
        print(json.dumps(d), flush=True)
        if a.out:
            with open(a.out, "a") as fh:
                fh.write(json.dumps(d) + "\n")

    if server_cpu_s() is None:
        sys.exit(f"no Placement pid files under {os.environ['RUN']}: run ../shared/peers/placement/setup.sh first")
    made = []
    c0 = server_cpu_s(); t0 = time.perf_counter()
    cons, lat, conflicts = fleet_wide(base, a.fleet_claims, a.timeout)
    el = time.perf_counter() - t0; c1 = server_cpu_s(); made += cons
    lat.sort()
    emit({"query": "find_fleet_wide_limit1+claim_c1", "ok": len(cons), "attempted": len(cons) + conflicts, "conflicts_409": conflicts,
          "claims_per_s": round(len(cons) / el, 2), "median_ms": round(lat[len(lat) // 2] * 1e3, 1) if lat else None,
          **cpu_delta(c0, c1, len(cons))})
    for fab, n, conc in ((h100[len(h100) // 2 + 1], 16, 1), (h100[len(h100) // 2 + 2], 48, 8)):
        c0 = server_cpu_s()
        cons, res = run_find_and_claim(base, fab, n, conc, a.timeout, False)
        c1 = server_cpu_s(); made += cons
        emit({**res, "query": f"find_member_of_fabric_limit1+claim_c{conc}", "attempted": res["ok"] + res["conflicts_409"],
              **cpu_delta(c0, c1, res["ok"])})
    emit({"event": "release", **delete_allocs(base, made, 8, a.timeout)})


if __name__ == "__main__":
    main()
