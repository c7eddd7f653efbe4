#!/usr/bin/env python3
"""Tables from audit_append_bench's JSON (bench/audit.sh): medians of the repetitions,
ratios against baselines from the same run, and the issue 5 target."""
import json
import sys

TARGET = 50_000  # entries/s, SQLite, batch mode (issue 5, section 7)

runs = json.load(open(sys.argv[1]))["benchmarks"]
med, cv = {}, {}
for r in runs:
    name = r["run_name"].removesuffix("/real_time")
    if r.get("aggregate_name") == "median":
        med[name] = r
    elif r.get("aggregate_name") == "cv":
        cv[name] = r


def rate(name):
    r = med.get(name)
    return r["items_per_second"] if r and "items_per_second" in r else None


def noise(name):
    r = cv.get(name)
    return f"{100 * r['items_per_second']:.0f}%" if r and "items_per_second" in r else "-"


def fmt(v):
    return f"{v:,.0f}" if v is not None else "-"


backends = [b for b in ("sqlite", "postgres", "sqlite-tmpfs") if any(k.startswith(f"append/{b}/") for k in med)]
committers = sorted({int(k.split(":")[-1]) for k in med if k.startswith("writer/")})

print("\n1. Through audit::Writer (group commit, as in the gateway): committers coroutines on one")
print("   io_context committing back to back; entries/s chained, signed, durable (median; cv)")
print(f"{'backend':12} {'mode':6} {'committers':>10} {'entries/s':>11} {'cv':>5} {'per batch':>9} "
      f"{'cpu_us/entry':>12} {'vs batch':>8}")
for b in backends:
    for m in ("batch", "entry"):
        for c in committers:
            n = f"writer/{b}/{m}/committers:{c}"
            r = med.get(n)
            if not r:
                continue
            vs = rate(n) / rate(f"writer/{b}/batch/committers:{c}")
            print(f"{b:12} {m:6} {c:>10} {fmt(rate(n)):>11} {noise(n):>5} "
                  f"{r.get('entries_per_batch', 0):>9.0f} {r.get('cpu_us_per_entry', 0):>12.1f} {vs:>7.2f}x")
if "sqlite-tmpfs" in backends:
    print("(sqlite-tmpfs: the same SQLite on tmpfs, where fsync is free: NOT durable, it shows what"
          "\n the software alone allows; the gap to 'sqlite' is the disk's flush latency)")
for c in committers:
    v = rate(f"writer/sqlite/batch/committers:{c}")
    if v:
        print(f"target: SQLite batch mode >= {TARGET:,} entries/s, committers {c}: {v / TARGET:.2f}x "
              f"({'met' if v >= TARGET else 'NOT met'})")

print("\n2. AuditStore::append, fixed batch sizes, entries/s (median); baseline 'unsigned' ="
      "\n   seal_unsigned (chained, no signature) through the same store, same run")
print(f"{'backend':12} {'batch':>5} {'unsigned':>10} {'batch':>10} {'entry':>10} {'batch/uns':>9} "
      f"{'entry/uns':>9} {'cpu_us/e batch':>14}")
for b in backends:
    for size in (1, 64, 512):
        u, bt, e = (rate(f"append/{b}/{m}/batch:{size}") for m in ("unsigned", "batch", "entry"))
        cpu = med.get(f"append/{b}/batch/batch:{size}", {}).get("cpu_us_per_entry", 0)
        ratio = lambda x: f"{x / u:.2f}x" if x and u else "-"
        print(f"{b:12} {size:>5} {fmt(u):>10} {fmt(bt):>10} {fmt(e):>10} {ratio(bt):>9} {ratio(e):>9} {cpu:>14.1f}")

print("\n3. Sealing only (encode, hash, Merkle frontier, sign; no store), entries/s on one core")
print(f"{'mode':9} {'batch 1':>10} {'batch 64':>10} {'batch 512':>10} {'us/entry @512':>14}")
for m in ("unsigned", "batch", "entry"):
    v = [rate(f"seal/{m}/batch:{s}") for s in (1, 64, 512)]
    per = f"{1e6 / v[2]:.1f}" if v[2] else "-"
    print(f"{m:9} {fmt(v[0]):>10} {fmt(v[1]):>10} {fmt(v[2]):>10} {per:>14}")

f = med.get("fsync/4KiB")
if f:
    us = f["real_time"] if f["time_unit"] == "us" else f["real_time"] * 1000
    print(f"\n4. Disk: write + fdatasync of 4 KiB beside the SQLite file: {us:,.0f} us (median). One durable"
          f"\n   commit per batch caps a single chain at batch/{us:,.0f} us: "
          + ", ".join(f"{n} per batch -> {n * 1e6 / us:,.0f}/s" for n in (32, 64, 256)))
