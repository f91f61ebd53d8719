"""Print the per-chapter time table that `make test` ends with."""
import json
import sys
from pathlib import Path

BUDGET_S = 30  # the quick profile's budget per chapter on a 2-core CPU


def main(path: str) -> None:
    table = json.loads(Path(path).read_text()) if Path(path).exists() else {}
    if not table:
        print("no chapter was executed")
        return
    width = max(len(name) for name in table)
    print(f"\n{'chapter':<{width}}  {'seconds':>8}  status   profile")
    for name, row in sorted(table.items(), key=lambda kv: -kv[1]["seconds"]):
        flag = "  over budget" if row["seconds"] > BUDGET_S else ""
        print(f"{name:<{width}}  {row['seconds']:8.1f}  {row['status']:<7}  {row['profile']}{flag}")
    total = sum(row["seconds"] for row in table.values())
    print(f"{'total':<{width}}  {total:8.1f}  ({len(table)} chapters)")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "_build/test/timings.json")
