/* nbdscrub: plugin parameters (see params.h). */

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "params.h"

void
params_init (struct params *p)
{
  memset (p, 0, sizeof *p);
  p->fs = PARAM_FS_AUTO;
  p->scrub = true;
  p->scrub_interval_ns = 3600ULL * 1000000000ULL;
  p->scrub_budget_ns = 2ULL * 1000000ULL;
  p->repair = PARAM_REPAIR_OFFLINE;
  p->flush = PARAM_FLUSH_SYNC;
  p->writeback_interval_ns = 5ULL * 1000000000ULL;
  p->report_past_errors = false;
  p->retries = 3;
}

void
params_free (struct params *p)
{
  free (p->file);
  free (p->state_dir);
  free (p->control);
  free (p->control_listen);
  free (p->control_cert);
  free (p->control_key);
  free (p->control_ca);
  memset (p, 0, sizeof *p);
}

static const struct {
  const char *suffix;
  uint64_t ns;
} duration_units[] = {
  /* Longest suffixes first so "ms" is not read as "m". */
  { "ns", 1 },
  { "us", 1000ULL },
  { "ms", 1000000ULL },
  { "s", 1000000000ULL },
  { "m", 60ULL * 1000000000ULL },
  { "h", 3600ULL * 1000000000ULL },
  { "d", 86400ULL * 1000000000ULL },
};

/* A decimal number with no sign, no spaces, at most 19 digits. */
static int
parse_digits (const char *s, const char **end, uint64_t *v)
{
  uint64_t n = 0;
  int digits = 0;

  while (isdigit ((unsigned char) *s)) {
    if (++digits > 19)
      return -1;
    n = n * 10 + (uint64_t) (*s - '0');
    s++;
  }
  if (digits == 0)
    return -1;
  *end = s;
  *v = n;
  return 0;
}

int
param_parse_duration (const char *s, uint64_t *ns)
{
  const char *end;
  uint64_t n;
  size_t i;

  if (parse_digits (s, &end, &n) == -1)
    return -1;
  if (*end == '\0')
    return n == 0 ? (*ns = 0, 0) : -1; /* a bare number needs a unit */
  for (i = 0; i < sizeof duration_units / sizeof duration_units[0]; i++) {
    if (strcmp (end, duration_units[i].suffix) == 0) {
      if (n > PARAM_DURATION_MAX_NS / duration_units[i].ns)
        return -1;
      *ns = n * duration_units[i].ns;
      return *ns <= PARAM_DURATION_MAX_NS ? 0 : -1;
    }
  }
  return -1;
}

void
param_format_duration (uint64_t ns, char *buf, size_t len)
{
  size_t i = sizeof duration_units / sizeof duration_units[0];

  if (ns == 0) {
    snprintf (buf, len, "0s");
    return;
  }
  while (i-- > 0) {
    if (ns % duration_units[i].ns == 0) {
      snprintf (buf, len, "%" PRIu64 "%s", ns / duration_units[i].ns,
                duration_units[i].suffix);
      return;
    }
  }
}

int
param_parse_bool (const char *s, bool *b)
{
  static const char *const yes[] = { "1", "true", "yes", "on" };
  static const char *const no[] = { "0", "false", "no", "off" };
  size_t i;

  for (i = 0; i < 4; i++) {
    if (strcasecmp (s, yes[i]) == 0)
      return *b = true, 0;
    if (strcasecmp (s, no[i]) == 0)
      return *b = false, 0;
  }
  return -1;
}

int
param_parse_size (const char *s, uint64_t *v)
{
  const char *end;
  uint64_t n, mul = 1;

  if (parse_digits (s, &end, &n) == -1)
    return -1;
  switch (*end) {
  case '\0': break;
  case 'k': case 'K': mul = 1ULL << 10; end++; break;
  case 'm': case 'M': mul = 1ULL << 20; end++; break;
  case 'g': case 'G': mul = 1ULL << 30; end++; break;
  case 't': case 'T': mul = 1ULL << 40; end++; break;
  default: return -1;
  }
  if (*end != '\0' || n > UINT64_MAX / mul)
    return -1;
  *v = n * mul;
  return 0;
}

static int
set_string (char **dst, const char *key, const char *value, char *err,
            size_t errlen)
{
  char *s;

  if (*value == '\0') {
    snprintf (err, errlen, "%s: empty value: expected a path", key);
    return -1;
  }
  s = strdup (value);
  if (s == NULL) {
    snprintf (err, errlen, "%s: %s", key, strerror (errno));
    return -1;
  }
  free (*dst);
  *dst = s;
  return 0;
}

/* One keyword among a list: "on|off" style enums. */
static int
set_enum (int *dst, const char *key, const char *value,
          const char *const *names, int n, char *err, size_t errlen)
{
  char form[128] = "";
  int i;

  for (i = 0; i < n; i++)
    if (strcmp (value, names[i]) == 0)
      return *dst = i, 0;
  for (i = 0; i < n; i++) {
    strncat (form, names[i], sizeof form - strlen (form) - 1);
    if (i + 1 < n)
      strncat (form, "|", sizeof form - strlen (form) - 1);
  }
  snprintf (err, errlen, "%s: unknown value '%s': expected %s=%s", key,
            value, key, form);
  return -1;
}

static int
set_duration (uint64_t *dst, uint64_t min_ns, const char *key,
              const char *value, char *err, size_t errlen)
{
  uint64_t ns;

  if (param_parse_duration (value, &ns) == -1) {
    snprintf (err, errlen,
              "%s: cannot parse '%s': expected a duration such as "
              "2ms, 30s, 10m or 2h (at most 30d)", key, value);
    return -1;
  }
  if (ns < min_ns) {
    char min[32];

    param_format_duration (min_ns, min, sizeof min);
    snprintf (err, errlen, "%s: '%s' is too short: the least is %s", key,
              value, min);
    return -1;
  }
  *dst = ns;
  return 0;
}

static int
set_bool (bool *dst, const char *key, const char *value, char *err,
          size_t errlen)
{
  if (param_parse_bool (value, dst) == -1) {
    snprintf (err, errlen,
              "%s: cannot parse '%s': expected true or false (also "
              "yes/no, on/off, 1/0)", key, value);
    return -1;
  }
  return 0;
}

/* HOST:PORT, with [v6addr]:PORT accepted; the port 1..65535. */
static int
check_listen (const char *value, char *err, size_t errlen)
{
  const char *colon = strrchr (value, ':');
  char *end;
  long port;

  if (colon == NULL || colon == value)
    goto bad;
  if (value[0] == '[' && colon[-1] != ']')
    goto bad;
  errno = 0;
  port = strtol (colon + 1, &end, 10);
  if (errno || *end != '\0' || end == colon + 1 || port < 1 || port > 65535)
    goto bad;
  return 0;

bad:
  snprintf (err, errlen,
            "control-listen: cannot parse '%s': expected HOST:PORT, e.g. "
            "127.0.0.1:10810 or [::1]:10810", value);
  return -1;
}

int
params_set (struct params *p, const char *key, const char *value,
            char *err, size_t errlen)
{
  static const char *const fs_names[] = { "auto", "ext4", "none" };
  static const char *const repair_names[] = { "off", "offline", "online" };
  static const char *const flush_names[] = { "sync", "volatile" };

  if (strcmp (key, "file") == 0)
    return set_string (&p->file, key, value, err, errlen);
  if (strcmp (key, "fs") == 0)
    return set_enum ((int *) &p->fs, key, value, fs_names, 3, err, errlen);
  if (strcmp (key, "scrub") == 0) {
    if (strcmp (value, "on") != 0 && strcmp (value, "off") != 0) {
      snprintf (err, errlen, "scrub: unknown value '%s': expected "
                "scrub=on|off", value);
      return -1;
    }
    p->scrub = strcmp (value, "on") == 0;
    return 0;
  }
  if (strcmp (key, "scrub-interval") == 0)
    return set_duration (&p->scrub_interval_ns, 0, key, value, err, errlen);
  if (strcmp (key, "scrub-budget") == 0)
    return set_duration (&p->scrub_budget_ns, 100000, key, value, err,
                         errlen);
  if (strcmp (key, "repair") == 0)
    return set_enum ((int *) &p->repair, key, value, repair_names, 3, err,
                     errlen);
  if (strcmp (key, "state-dir") == 0)
    return set_string (&p->state_dir, key, value, err, errlen);
  if (strcmp (key, "control") == 0)
    return set_string (&p->control, key, value, err, errlen);
  if (strcmp (key, "control-listen") == 0) {
    if (check_listen (value, err, errlen) == -1)
      return -1;
    return set_string (&p->control_listen, key, value, err, errlen);
  }
  if (strcmp (key, "control-cert") == 0)
    return set_string (&p->control_cert, key, value, err, errlen);
  if (strcmp (key, "control-key") == 0)
    return set_string (&p->control_key, key, value, err, errlen);
  if (strcmp (key, "control-ca") == 0)
    return set_string (&p->control_ca, key, value, err, errlen);
  if (strcmp (key, "flush") == 0)
    return set_enum ((int *) &p->flush, key, value, flush_names, 2, err,
                     errlen);
  if (strcmp (key, "writeback-interval") == 0)
    return set_duration (&p->writeback_interval_ns, 1000000, key, value,
                         err, errlen);
  if (strcmp (key, "report-past-errors") == 0)
    return set_bool (&p->report_past_errors, key, value, err, errlen);
  if (strcmp (key, "retries") == 0) {
    const char *end;
    uint64_t n;

    if (parse_digits (value, &end, &n) == -1 || *end != '\0'
        || n > PARAM_RETRIES_MAX) {
      snprintf (err, errlen, "retries: cannot parse '%s': expected a "
                "whole number from 0 to %d", value, PARAM_RETRIES_MAX);
      return -1;
    }
    p->retries = (unsigned) n;
    return 0;
  }
  if (strcmp (key, "errortag") == 0)
    return errortag_parse (&p->errortags, value, err, errlen);

  snprintf (err, errlen, "unknown parameter '%s': see nbdkit scrub --help",
            key);
  return -1;
}

int
params_complete (const struct params *p, char *err, size_t errlen)
{
  const char *missing = NULL;

  if (p->file == NULL) {
    snprintf (err, errlen, "file: missing: give the image, e.g. "
              "nbdkit scrub disk.img (or file=disk.img)");
    return -1;
  }
  if (p->control_listen) {
    if (p->control_cert == NULL)
      missing = "control-cert";
    else if (p->control_key == NULL)
      missing = "control-key";
    else if (p->control_ca == NULL)
      missing = "control-ca";
  }
  if (missing) {
    snprintf (err, errlen,
              "%s: missing: control-listen= needs control-cert=, "
              "control-key= and control-ca= (TLS with client certificates)",
              missing);
    return -1;
  }
  if (!p->control_listen
      && (p->control_cert || p->control_key || p->control_ca)) {
    snprintf (err, errlen, "control-cert: given without control-listen=: "
              "the certificates are for the TCP control socket");
    return -1;
  }
  return 0;
}
