"""nbdscrub: reading STATE-DIR/status.json from the integration tests.

The plugin rewrites status.json atomically after every pass (temp file,
fsync, rename), so a read sees one whole document or, before the first
write, no file.  A pass is named by last_pass.id; the tests never count
on timing, they wait for ids.

"A pass that started after moment X": read the last pass id N once X
is over (not before: passes may start and end between that read and X).
Pass N+1 may have been running at X, but pass N+2 starts only once pass
N+1 has ended and its status has been written, after the read.  So
wait_pass(path, last_id(path) + 2), called after X, returns a pass that
saw the image as it was after X.

From the shell:
    python3 -m scrubstatus last-id STATUS [TIMEOUT]
        print the last pass id (0 if no pass finished yet); waits up to
        TIMEOUT seconds (default 30) for the file to appear
    python3 -m scrubstatus wait STATUS MIN-ID [TIMEOUT [OUT]]
        wait until last_pass.id >= MIN-ID, then write the document to OUT
        (default stdout); exit 1 with the last document seen on timeout
    python3 -m scrubstatus poll STATUS OUT STOPFILE
        record every pass seen, and every finding of every pass seen,
        into OUT (JSON, rewritten as it grows) until STOPFILE exists
"""

import calendar
import json
import os
import sys
import time

BAD = ("corrupt", "xcorrupt")


def read(path, timeout=30.0):
    """The current document; waits up to timeout s for the file."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with open(path) as f:
                return json.load(f)
        except FileNotFoundError:
            if time.monotonic() > deadline:
                raise AssertionError("%s did not appear in %g s"
                                     % (path, timeout))
        time.sleep(0.05)


def last_id(doc):
    """The id of the last finished pass, 0 before the first."""
    lp = doc.get("last_pass")
    return lp["id"] if lp else 0


def started_epoch(pass_):
    """last_pass.started ("2026-11-21T16:30:55Z") in seconds since 1970."""
    return calendar.timegm(time.strptime(pass_["started"],
                                         "%Y-%m-%dT%H:%M:%SZ"))


def wait_pass(path, min_id, timeout=60.0):
    """The first document whose last pass id is at least min_id."""
    deadline = time.monotonic() + timeout
    doc = read(path, timeout)
    while last_id(doc) < min_id:
        if time.monotonic() > deadline:
            raise AssertionError(
                "no pass %d in %g s; the last status.json: %s"
                % (min_id, timeout, json.dumps(doc, indent=1)[:4000]))
        time.sleep(0.05)
        doc = read(path, timeout)
    return doc


def findings(doc):
    """(code, name, severity, object) of each problem in doc, sorted.
    status.json's "problems" (the last pass's) and nbdscrub check
    --json's "problems" have the same fields, so this compares them."""
    return sorted((p["code"], p["name"], p["severity"], p["object"])
                  for p in doc.get("problems", []))


def poll(path, out, stopfile, interval=0.1):
    """Record what status.json says until stopfile exists.

    OUT holds {"passes": [one entry per pass seen, with "seen" the wall
    time it was first seen], "bad": [every corrupt/xcorrupt finding seen,
    with its pass], "findings": {"NAME/severity": times seen},
    "problems_total_max": N, "passes_max": N, "reads": N}."""
    rec = {"passes": [], "bad": [], "findings": {},
           "problems_total_max": 0, "passes_max": 0, "reads": 0}
    seen = set()

    def save():
        tmp = out + ".tmp"
        with open(tmp, "w") as f:
            json.dump(rec, f, indent=1)
        os.rename(tmp, out)

    save()
    while not os.path.exists(stopfile):
        try:
            with open(path) as f:
                doc = json.load(f)
        except FileNotFoundError:
            time.sleep(interval)
            continue
        rec["reads"] += 1
        rec["problems_total_max"] = max(rec["problems_total_max"],
                                        doc.get("problems_total", 0))
        rec["passes_max"] = max(rec["passes_max"], doc.get("passes", 0))
        lp = doc.get("last_pass")
        if lp and lp["id"] not in seen:
            seen.add(lp["id"])
            entry = dict(lp)
            entry["seen"] = time.time()
            entry["problems_total"] = doc.get("problems_total")
            entry["findings"] = ["%s/%s %s" % (p["name"], p["severity"],
                                               p["object"])
                                 for p in doc.get("problems", [])]
            rec["passes"].append(entry)
            for p in doc.get("problems", []):
                key = "%s/%s" % (p["name"], p["severity"])
                rec["findings"][key] = rec["findings"].get(key, 0) + 1
                if p["severity"] in BAD:
                    rec["bad"].append({"pass": lp["id"], "problem": p})
            save()
        time.sleep(interval)
    save()


def main(argv):
    cmd = argv[1]
    if cmd == "last-id":
        timeout = float(argv[3]) if len(argv) > 3 else 30.0
        try:
            print(last_id(read(argv[2], timeout)))
        except AssertionError as e:
            print(e, file=sys.stderr)
            return 1
    elif cmd == "wait":
        timeout = float(argv[4]) if len(argv) > 4 else 60.0
        try:
            doc = wait_pass(argv[2], int(argv[3]), timeout)
        except AssertionError as e:
            print(e, file=sys.stderr)
            return 1
        text = json.dumps(doc, indent=1) + "\n"
        if len(argv) > 5:
            with open(argv[5], "w") as f:
                f.write(text)
        else:
            sys.stdout.write(text)
    elif cmd == "poll":
        poll(argv[2], argv[3], argv[4])
    else:
        print("scrubstatus: unknown command %s" % cmd, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
