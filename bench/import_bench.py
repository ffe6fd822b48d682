"""Time the clients CSV import on 100,000 rows (validation included) against the configured database.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/outage_portal .venv/bin/python bench/import_bench.py [--rows N]

Generates a CSV like a billing export (phones written nationally and in E.164, attributes, buckets, a few opt-outs),
imports it (all rows new), imports it again with every row changed (all rows updated), then removes what it made.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "outage_portal.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402

from clients.importing import clients_import_csv  # noqa: E402
from clients.models import Bucket, Client  # noqa: E402

HEADER = (
    "external_ref,name,email,phone,language,services,buckets,account,region,network,plan,tags,active,"
    "sms_consent,attr_monthly_spend,attr_last_visit\n"
)
REGIONS = ("North", "South", "East", "West", "Paris")


def make_csv(rows: int, *, prefix: str, variant: int) -> bytes:
    rng = random.Random(variant)
    lines = [HEADER]
    for n in range(rows):
        phone = f"+3361{n:07d}" if n % 2 else f"06 10 {n % 1_000_000:06d}"
        region = REGIONS[n % len(REGIONS)]
        lines.append(
            f"{prefix}{n:07d},Client {n} v{variant},client{n}@bench.example.com,{phone},{('en', 'fr', 'de')[n % 3]},"
            f"{('sms', 'email', 'sms+email')[n % 3]},Bench {region},Company {n % 500},{region},"
            f"{('Orange', 'SFR', 'Free')[n % 3]},{('home', 'business')[n % 2]},{'vip' if n % 50 == 0 else ''},"
            f"yes,{'no' if n % 97 == 0 else 'yes'},{rng.randint(5, 900)},2025-{1 + n % 12:02d}-{1 + n % 28:02d}\n"
        )
    return "".join(lines).encode()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--keep", action="store_true", help="leave the imported clients in the database")
    args = parser.parse_args()
    prefix = f"BENCH{int(time.time())}-"
    print(
        f"database: {connection.vendor}, rows: {args.rows}, load average: {os.getloadavg()[0]:.1f} "
        f"on {os.cpu_count()} CPUs"
    )
    try:
        for variant, label in ((1, "new clients"), (2, "every client changed"), (2, "nothing changed")):
            data = make_csv(args.rows, prefix=prefix, variant=variant)
            started, cpu = time.perf_counter(), time.process_time()
            report = clients_import_csv(data=data, filename="bench.csv")
            seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
            print(
                f"{label:>22}: {seconds:6.2f} s = {args.rows / seconds:8.0f} rows/s "
                f"(Python CPU {cpu:5.2f} s; {report.summary()})"
            )
            if report.errors:
                print("  first errors:", [str(problem) for problem in report.errors[:3]])
    finally:
        if not args.keep:
            Client.objects.filter(external_ref__startswith=prefix).delete()
            Bucket.objects.filter(name__startswith="Bench ").delete()


if __name__ == "__main__":
    main()
