# nbdscrub corruption corpus: the driver.
#
#   python3 run.py --nbdscrub PATH --work DIR [--jobs N] [--only ID,...]
#                  [--profiles P,...] [--e2fsck-only] [--keep] [-v|-vv]
#   python3 run.py --work DIR --list       the cases and what they damage
#
# --e2fsck-only checks the recipes alone: each must make e2fsck give the
# verdict the case means (a NOTE says when it does not).  --keep leaves
# the damaged images in DIR; -v prints e2fsck's first lines and
# nbdscrub's stderr for every case that is not OK, -vv for all.
#
# For every profile: a clean base image (base.py), checked as a clean
# control.  For every case of cases.py and every profile it names: a
# copy of the base, the recipe applied, then e2fsck -fn (the oracle;
# for a journal that needs recovery, e2fsck -fn after e2fsck -E
# journal_only -y on a copy) and nbdscrub check --json.  One line per
# case; the last line the parity.  Exit 1 on any failure (see verdict()).

import argparse
import concurrent.futures
import json
import os
import re
import subprocess
import sys
import time

sys.dont_write_bytecode = True          # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import base                                    # noqa: E402
from cases import CASES                        # noqa: E402
from recipe import Recipe                      # noqa: E402

PARITY_MIN = 0.95
SAN_MARKS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer",
             "runtime error:", "ERROR: UndefinedBehaviorSanitizer")


def e2fsck_verdict(img, replay):
    """e2fsck -fn's exit status, after journal replay on a copy if asked."""
    if replay:
        cp = img + ".replayed"
        base.run(["cp", "--sparse=always", img, cp])
        base.run(["e2fsck", "-E", "journal_only", "-y", cp], check=False)
        img = cp
    r = base.run(["e2fsck", "-fn", img], check=False)
    return r.returncode, r.stdout.decode(errors="replace")


def nbdscrub_check(nbdscrub, img):
    """(exit status, [(name, severity)], stderr) of nbdscrub check --json."""
    env = dict(os.environ)
    env.setdefault("ASAN_OPTIONS", "detect_leaks=1:halt_on_error=1")
    env.setdefault("UBSAN_OPTIONS", "halt_on_error=1:print_stacktrace=1")
    try:
        r = subprocess.run([nbdscrub, "check", "--json", "--no-progress",
                            img], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, env=env, timeout=60)
    except subprocess.TimeoutExpired:
        return -1, [], "timeout after 60 s"
    err = r.stderr.decode(errors="replace")
    found = []
    try:
        doc = json.loads(r.stdout.decode(errors="replace") or "null")
        for p in (doc or {}).get("problems", []):
            found.append((p.get("name"), p.get("severity")))
    except ValueError as e:
        if r.returncode in (0, 4):
            err += "\nbad JSON on stdout: %s" % e
    return r.returncode, found, err


def e2_class(rc):
    """e2fsck's verdict: 4 set is corrupt, 8 alone could not check (its
    superblock checks abort with 8 on corruption: either answer from
    nbdscrub agrees), 0 (and 1, 2, which -n cannot give) clean."""
    if rc & 4:
        return "corrupt"
    if rc & 8:
        return "cannot"
    return "clean"


def verdict(res):
    """Fill res['ok'] (parity) and res['fail'] (reasons the test fails)."""
    e2, nb, found = res["e2fsck"], res["nbdscrub"], res["found"]
    ec = e2_class(e2)
    fails = []
    if any(m in res["stderr"] for m in SAN_MARKS):
        fails.append("sanitizer report")
    if nb not in (0, 4, 8):
        fails.append("nbdscrub crashed or hung (exit %s)" % nb)
    if nb == 8 and ec != "cannot":
        fails.append("nbdscrub could not check, e2fsck could")
    if "bad JSON" in res["stderr"]:
        fails.append("bad JSON")
    if ec == "clean":
        agree = nb == 0
    else:
        agree = nb == 4 or (nb == 8 and ec == "cannot")
    names = {n for n, s in found}
    if res["codes"] and not names & set(res["codes"]):
        fails.append("expected code missing")
    if res["control"]:
        bad = [n for n, s in found if s in ("corrupt", "xcorrupt")]
        if bad:
            fails.append("false positive on a clean image: " + ",".join(bad))
    res["ok"] = agree
    res["fail"] = fails


def known_codes():
    """The code names of the catalogue, as docs/problems.md lists them."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                        "..", "..", "docs", "problems.md")
    try:
        with open(path) as f:
            return set(re.findall(r"^\| 0x[0-9a-f]+ \| `([A-Z0-9_]+)`",
                                  f.read(), re.M))
    except OSError:
        return set()


def run_one(args, c, profile, bases):
    img = "%s/%s.%s.img" % (args.work, c.id if c else "clean", profile)
    base.run(["cp", "--sparse=always", bases[profile], img])
    res = {"id": c.id if c else "clean", "profile": profile,
           "codes": c.codes if c else [], "control": c is None,
           "intent": c.expect if c else 0, "stderr": "", "found": [],
           "note": ""}
    if c:
        try:
            c.fn(Recipe(img, args.work))
        except Exception as e:          # a recipe that cannot apply
            res.update(e2fsck=-1, nbdscrub=-1, ok=False,
                       fail=["recipe failed: %r" % (e,)])
            return res
    rc, out = e2fsck_verdict(img, c.replay if c else False)
    res["e2fsck"], res["e2fsck_out"] = rc, out
    if e2_class(rc) != ("clean" if res["intent"] == 0 else "corrupt") \
            and not (res["intent"] and rc & 8):
        res["note"] = "e2fsck disagrees with the recipe's intent (%d)" % \
            res["intent"]
    if args.e2fsck_only:
        res.update(nbdscrub=None, ok=True, fail=[])
    else:
        res["nbdscrub"], res["found"], res["stderr"] = \
            nbdscrub_check(args.nbdscrub, img)
        verdict(res)
    for f in (img, img + ".replayed"):
        if os.path.exists(f) and not args.keep:
            os.unlink(f)
    return res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--nbdscrub")
    ap.add_argument("--work", required=True)
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--only", default="")
    ap.add_argument("--profiles", default="")
    ap.add_argument("--e2fsck-only", action="store_true")
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--list", action="store_true",
                    help="print the cases and what each one damages")
    ap.add_argument("--verbose", "-v", action="count", default=0)
    ap.add_argument("--lines", type=int, default=12)
    args = ap.parse_args()
    start = time.time()
    if args.list:
        for c in CASES:
            print("%-30s %-12s %s\n    %s\n    expect: %s, e2fsck %d" % (
                c.id, c.type, " ".join(c.profiles), " ".join(c.doc.split()),
                " ".join(c.codes) or "-", c.expect))
        return 0

    profiles = [p for p in base.PROFILES
                if not args.profiles or p in args.profiles.split(",")]
    tree = args.work + "/tree"
    base.make_tree(tree)
    bases = {}
    for p in profiles:
        bases[p] = "%s/base.%s.img" % (args.work, p)
        base.make_base(bases[p], p, tree, args.work)

    catalogue = known_codes()
    unknown = sorted({code for c in CASES for code in c.codes} - catalogue)
    if catalogue and unknown:
        print("NOTE: expected codes not in docs/problems.md: "
              + " ".join(unknown))

    only = set(args.only.split(",")) if args.only else None
    jobs = [(None, p) for p in profiles if not only]
    for c in CASES:
        if only and c.id not in only:
            continue
        jobs += [(c, p) for p in c.profiles if p in profiles]

    with concurrent.futures.ThreadPoolExecutor(args.jobs) as ex:
        results = list(ex.map(lambda j: run_one(args, j[0], j[1], bases),
                              jobs))

    agree = total = fp = alarms = misses = 0
    failed = []
    for r in results:
        names = sorted({n for n, s in r["found"]})
        fmt = "%-30s %-12s e2fsck=%-3s nbdscrub=%-4s expect=%s found=%s %s"
        line = fmt % (
            r["id"], r["profile"], r["e2fsck"], r["nbdscrub"],
            ",".join(r["codes"]) or "-", ",".join(names) or "-",
            "OK" if r["ok"] else "MISMATCH")
        if r["fail"]:
            line += " FAIL(" + "; ".join(r["fail"]) + ")"
        if r["note"]:
            line += " NOTE(" + r["note"] + ")"
        print(line)
        if args.verbose and (r["note"] or not r["ok"] or r["fail"]
                             or args.verbose > 1):
            for ln in [ln for ln in r.get("e2fsck_out", "").splitlines()
                       if ln and not ln.startswith(("Pass ", "e2fsck 1."))
                       ][:args.lines]:
                print("    e2fsck: " + ln)
            for ln in r["stderr"].splitlines()[:20]:
                print("    stderr: " + ln)
        total += 1
        agree += bool(r["ok"])
        if r["control"] and any(s in ("corrupt", "xcorrupt")
                                for n, s in r["found"]):
            fp += 1
        if r["fail"]:
            failed.append("%s/%s" % (r["id"], r["profile"]))
        if not r["control"] and r["nbdscrub"] is not None and not r["ok"]:
            if e2_class(r["e2fsck"]) == "clean":
                alarms += 1
            else:
                misses += 1

    kinds = {}
    for c in CASES:
        if not only or c.id in only:
            kinds.setdefault(c.type, set()).add(c.id)
    print("kinds: %d (%s)" % (
        sum(len(v) for v in kinds.values()),
        ", ".join("%s %d" % (k, len(v)) for k, v in sorted(kinds.items()))))
    per = {}
    for r in results:
        per[r["profile"]] = per.get(r["profile"], 0) + 1
    print("cases per profile: " +
          ", ".join("%s %d" % (k, v) for k, v in per.items()))
    print("parity: %d/%d cases agree with e2fsck, false positives on "
          "clean: %d (%.0f s)" % (agree, total, fp, time.time() - start))
    print("mismatches: %d false alarms (e2fsck clean, nbdscrub not), %d "
          "misses (e2fsck corrupt, nbdscrub clean or could not check)"
          % (alarms, misses))
    ok = not failed and (args.e2fsck_only or agree >= PARITY_MIN * total)
    if failed:
        print("failed: " + " ".join(failed))
    if not args.e2fsck_only and agree < PARITY_MIN * total:
        print("parity below %d%%" % (PARITY_MIN * 100))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
