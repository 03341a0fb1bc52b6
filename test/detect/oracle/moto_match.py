"""Reads JSON lines {"pattern": ..., "event": ...} on stdin and prints one JSON list of
results (true/false, or "error: ..." when moto rejects the case). The oracle for
test/detect/differential.test.ts; needs moto (python3 -m pip install moto)."""
import json
import sys

from moto.events.models import EventPattern

out = []
for line in sys.stdin:
    if not line.strip():
        continue
    case = json.loads(line)
    try:
        out.append(bool(EventPattern.load(json.dumps(case["pattern"])).matches_event(case["event"])))
    except Exception as err:  # noqa: BLE001 - report, never crash the batch
        out.append("error: %s" % err)
print(json.dumps(out))
