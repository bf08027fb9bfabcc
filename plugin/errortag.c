/* nbdscrub: fault injection for tests (see errortag.h for the grammar). */

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "errortag.h"
#include "params.h"

static const struct {
  const char *name;
  int err;
} errno_names[] = {
  { "eio", EIO },       { "enospc", ENOSPC }, { "edquot", EDQUOT },
  { "efbig", EFBIG },   { "erofs", EROFS },   { "eperm", EPERM },
  { "enomem", ENOMEM }, { "eintr", EINTR },   { "eagain", EAGAIN },
  { "ebadf", EBADF },   { "enodev", ENODEV }, { "enxio", ENXIO },
  { "estale", ESTALE },
};

static const struct {
  const char *name;
  unsigned ops;
} op_names[] = {
  { "read", ERRTAG_OP_READ },   { "write", ERRTAG_OP_WRITE },
  { "trim", ERRTAG_OP_TRIM },   { "zero", ERRTAG_OP_ZERO },
  { "fsync", ERRTAG_OP_FSYNC }, { "any", ERRTAG_OP_ANY },
  { "fatal", ERRTAG_OP_ANY },
};

int
errortag_errno_of (const char *name, size_t len)
{
  size_t i;

  for (i = 0; i < sizeof errno_names / sizeof errno_names[0]; i++)
    if (strlen (errno_names[i].name) == len
        && strncasecmp (errno_names[i].name, name, len) == 0)
      return errno_names[i].err;
  return 0;
}

static bool
is_fatal_errno (int err)
{
  return err == EBADF || err == ENODEV || err == ENXIO || err == ESTALE;
}

/* Parse one number with an optional k/M/G/T suffix out of s[0..len). */
static int
parse_number (const char *s, size_t len, uint64_t *v)
{
  char buf[32];

  if (len == 0 || len >= sizeof buf)
    return -1;
  memcpy (buf, s, len);
  buf[len] = '\0';
  return param_parse_size (buf, v);
}

static int
parse_one (struct errortag *t, const char *s, size_t len, char *err,
           size_t errlen)
{
  const char *end = s + len, *dash, *p, *q;
  size_t i;
  bool fatal = false;

  memset (t, 0, sizeof *t);
  dash = memchr (s, '-', len);
  if (dash == NULL)
    goto bad;

  for (i = 0; i < sizeof op_names / sizeof op_names[0]; i++)
    if ((size_t) (dash - s) == strlen (op_names[i].name)
        && strncmp (op_names[i].name, s, dash - s) == 0) {
      t->ops = op_names[i].ops;
      fatal = strcmp (op_names[i].name, "fatal") == 0;
    }
  if (t->ops == 0)
    goto bad;

  p = dash + 1;
  for (q = p; q < end && *q != '@' && *q != '*'; q++)
    ;
  t->err = errortag_errno_of (p, q - p);
  if (t->err == 0)
    goto bad;
  if (fatal && !is_fatal_errno (t->err)) {
    snprintf (err, errlen,
              "errortag: '%.*s': fatal- takes ebadf, enodev, enxio or "
              "estale", (int) len, s);
    return -1;
  }

  if (q < end && *q == '@') {
    const char *plus, *star;

    p = q + 1;
    star = memchr (p, '*', end - p);
    if (star == NULL)
      star = end;
    plus = memchr (p, '+', star - p);
    t->ranged = true;
    t->len = 1;
    if (parse_number (p, (plus ? plus : star) - p, &t->offset) == -1)
      goto bad;
    if (plus && (parse_number (plus + 1, star - plus - 1, &t->len) == -1
                 || t->len == 0))
      goto bad;
    if (t->offset + t->len < t->offset)
      goto bad;
    if (t->ops == ERRTAG_OP_FSYNC) {
      snprintf (err, errlen, "errortag: '%.*s': fsync has no range",
                (int) len, s);
      return -1;
    }
    q = star;
  }

  if (q < end && *q == '*') {
    t->counted = true;
    if (parse_number (q + 1, end - q - 1, &t->count) == -1
        || t->count == 0)
      goto bad;
    q = end;
  }
  if (q != end)
    goto bad;
  return 0;

bad:
  snprintf (err, errlen,
            "errortag: cannot parse '%.*s': expected OP-ERRNO[@OFFSET[+LEN]]"
            "[*COUNT], e.g. read-eio@1M+4k or fsync-eio*1",
            (int) len, s);
  return -1;
}

int
errortag_parse (struct errortag_set *set, const char *spec, char *err,
                size_t errlen)
{
  const char *p = spec;

  if (*spec == '\0') {
    snprintf (err, errlen, "errortag: empty value: expected "
              "OP-ERRNO[@OFFSET[+LEN]][*COUNT]");
    return -1;
  }
  for (;;) {
    const char *comma = strchr (p, ',');
    size_t len = comma ? (size_t) (comma - p) : strlen (p);

    if (set->n >= ERRORTAG_MAX) {
      snprintf (err, errlen, "errortag: more than %d tags", ERRORTAG_MAX);
      return -1;
    }
    if (parse_one (&set->tag[set->n], p, len, err, errlen) == -1)
      return -1;
    set->n++;
    if (comma == NULL)
      return 0;
    p = comma + 1;
  }
}

/* Take one hit from a counted tag; false once it is worn out. */
static bool
take_hit (struct errortag *t)
{
  uint64_t left = __atomic_load_n (&t->count, __ATOMIC_RELAXED);

  while (left > 0)
    if (__atomic_compare_exchange_n (&t->count, &left, left - 1, false,
                                     __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
      return true;
  return false;
}

int
errortag_check (struct errortag_set *set, enum errortag_op op,
                uint64_t offset, uint64_t count)
{
  unsigned i;

  for (i = 0; i < set->n; i++) {
    struct errortag *t = &set->tag[i];

    if (!(t->ops & op))
      continue;
    if (t->ranged) {
      /* fsync is never ranged, and a ranged tag needs a range to hit. */
      if (op == ERRTAG_OP_FSYNC || count == 0)
        continue;
      if (offset >= t->offset + t->len || t->offset >= offset + count)
        continue;
    }
    if (t->counted && !take_hit (t))
      continue;
    return t->err;
  }
  return 0;
}
