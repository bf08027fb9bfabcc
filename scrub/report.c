/* nbdscrub: one finding as users see it (see report.h). */

#include <inttypes.h>
#include <stdio.h>

#include "pass.h"
#include "report.h"

const char *
scrub_object_name (const struct scrub_finding *f, char *buf, size_t len)
{
  switch ((enum scrub_type) (f->code >> 8)) {
  case SCRUB_TYPE_GDT:
  case SCRUB_TYPE_BBITMAP:
  case SCRUB_TYPE_IBITMAP:
    snprintf (buf, len, "group %" PRIu32, f->group);
    break;
  case SCRUB_TYPE_INODE:
  case SCRUB_TYPE_EXTENTS:
  case SCRUB_TYPE_DIRECTORY:
  case SCRUB_TYPE_XATTR:
  case SCRUB_TYPE_SYMLINK:
    snprintf (buf, len, "inode %" PRIu32, f->ino);
    break;
  default:
    if (f->ino)
      snprintf (buf, len, "inode %" PRIu32, f->ino);
    else
      snprintf (buf, len, "filesystem");
    break;
  }
  return buf;
}

json_t *
scrub_finding_json (const struct scrub_finding *f)
{
  const struct scrub_problem *p = scrub_problem (f->code);
  unsigned t = ((unsigned) f->code >> 8) % SCRUB_TYPE_NR;
  char code[8], msg[512], obj[64];

  snprintf (code, sizeof code, "0x%04x", (unsigned) f->code & 0xffff);
  scrub_format (f, msg, sizeof msg);
  scrub_object_name (f, obj, sizeof obj);
  return json_pack (
    "{s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:s, s:s}",
    "code", code, "name", p ? p->name : "UNKNOWN",
    "type", scrub_type_names[t] ? scrub_type_names[t] : "",
    "severity", scrub_severity_name (p ? p->severity : SEV_CORRUPT),
    "group", (json_int_t) f->group, "ino", (json_int_t) f->ino,
    "block", (json_int_t) f->block,
    "expected", (json_int_t) f->expected, "found", (json_int_t) f->found,
    "object", obj, "message", msg);
}

json_t *
scrub_stats_json (const struct scrub_type_stats *stats)
{
  json_t *o = json_object ();
  int t;

  for (t = 0; t < SCRUB_TYPE_NR && o; t++) {
    const struct scrub_type_stats *st = &stats[t];

    if (st->runs == 0)
      continue;
    json_object_set_new (o, scrub_type_names[t], json_pack (
      "{s:I, s:I, s:I, s:I, s:I, s:f}",
      "runs", (json_int_t) st->runs, "clean", (json_int_t) st->clean,
      "corrupt", (json_int_t) st->corrupt, "preen", (json_int_t) st->preen,
      "warning", (json_int_t) st->warning,
      "time_s", (double) st->time_ns / 1e9));
  }
  return o;
}
