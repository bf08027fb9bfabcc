/* Unit tests: plugin parameter parsing (plugin/params.c). */

#include <string.h>

#include "params.h"
#include "unit.h"

static char err[256];

/* Apply key=value to fresh defaults; returns what params_set returned. */
static int
apply (struct params *p, const char *key, const char *value)
{
  params_init (p);
  err[0] = '\0';
  return params_set (p, key, value, err, sizeof err);
}

static void
test_params__defaults_are_the_spec_defaults (void)
{
  struct params p;

  params_init (&p);
  CU_ASSERT_PTR_NULL (p.file);
  CU_ASSERT_EQUAL (p.fs, PARAM_FS_AUTO);
  CU_ASSERT_TRUE (p.scrub);
  CU_ASSERT_EQUAL (p.scrub_interval_ns, 3600ULL * 1000000000ULL);
  CU_ASSERT_EQUAL (p.scrub_budget_ns, 2000000ULL);
  CU_ASSERT_EQUAL (p.repair, PARAM_REPAIR_OFFLINE);
  CU_ASSERT_EQUAL (p.flush, PARAM_FLUSH_SYNC);
  CU_ASSERT_EQUAL (p.writeback_interval_ns, 5000000000ULL);
  CU_ASSERT_FALSE (p.report_past_errors);
  CU_ASSERT_EQUAL (p.retries, 3);
  CU_ASSERT_EQUAL (p.errortags.n, 0);
  params_free (&p);
}

static void
test_params__durations_parse_with_every_unit (void)
{
  static const struct {
    const char *s;
    uint64_t ns;
  } good[] = {
    { "0", 0 },           { "0s", 0 },
    { "2ms", 2000000ULL }, { "100us", 100000ULL },
    { "30s", 30000000000ULL }, { "10m", 600000000000ULL },
    { "2h", 7200000000000ULL }, { "1d", 86400000000000ULL },
    { "5ns", 5 },         { "30d", 30ULL * 86400000000000ULL },
  };
  size_t i;

  for (i = 0; i < sizeof good / sizeof good[0]; i++) {
    uint64_t ns = 1;

    CU_ASSERT_EQUAL_FATAL (param_parse_duration (good[i].s, &ns), 0);
    CU_ASSERT_EQUAL (ns, good[i].ns);
  }
}

static void
test_params__bad_durations_are_refused (void)
{
  static const char *const bad[] = {
    "", "10", "s", "5x", "-1s", "1.5s", " 1s", "1s ", "31d",
    "99999999999999999999s", "1ms2", "1S", "1hh",
  };
  size_t i;

  for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    uint64_t ns = 42;

    CU_ASSERT_EQUAL (param_parse_duration (bad[i], &ns), -1);
    CU_ASSERT_EQUAL (ns, 42);
  }
}

static void
test_params__duration_formats_back_to_its_shortest_form (void)
{
  char buf[32];

  param_format_duration (2000000, buf, sizeof buf);
  CU_ASSERT_STRING_EQUAL (buf, "2ms");
  param_format_duration (3600ULL * 1000000000ULL, buf, sizeof buf);
  CU_ASSERT_STRING_EQUAL (buf, "1h");
  param_format_duration (90ULL * 1000000000ULL, buf, sizeof buf);
  CU_ASSERT_STRING_EQUAL (buf, "90s");
  param_format_duration (0, buf, sizeof buf);
  CU_ASSERT_STRING_EQUAL (buf, "0s");
}

static void
test_params__sizes_take_binary_suffixes (void)
{
  uint64_t v;

  CU_ASSERT_EQUAL (param_parse_size ("4096", &v), 0);
  CU_ASSERT_EQUAL (v, 4096);
  CU_ASSERT_EQUAL (param_parse_size ("4k", &v), 0);
  CU_ASSERT_EQUAL (v, 4096);
  CU_ASSERT_EQUAL (param_parse_size ("1M", &v), 0);
  CU_ASSERT_EQUAL (v, 1 << 20);
  CU_ASSERT_EQUAL (param_parse_size ("2G", &v), 0);
  CU_ASSERT_EQUAL (v, 2ULL << 30);
  CU_ASSERT_EQUAL (param_parse_size ("1T", &v), 0);
  CU_ASSERT_EQUAL (v, 1ULL << 40);
  CU_ASSERT_EQUAL (param_parse_size ("", &v), -1);
  CU_ASSERT_EQUAL (param_parse_size ("1X", &v), -1);
  CU_ASSERT_EQUAL (param_parse_size ("1kk", &v), -1);
  CU_ASSERT_EQUAL (param_parse_size ("-1", &v), -1);
  CU_ASSERT_EQUAL (param_parse_size ("17000000000000T", &v), -1);
}

static void
test_params__bools_accept_the_nbdkit_spellings (void)
{
  static const char *const yes[] = { "1", "true", "yes", "on", "TRUE" };
  static const char *const no[] = { "0", "false", "no", "off", "No" };
  bool b;
  size_t i;

  for (i = 0; i < 5; i++) {
    CU_ASSERT_EQUAL (param_parse_bool (yes[i], &b), 0);
    CU_ASSERT_TRUE (b);
    CU_ASSERT_EQUAL (param_parse_bool (no[i], &b), 0);
    CU_ASSERT_FALSE (b);
  }
  CU_ASSERT_EQUAL (param_parse_bool ("maybe", &b), -1);
  CU_ASSERT_EQUAL (param_parse_bool ("", &b), -1);
}

static void
test_params__every_key_accepts_its_documented_form (void)
{
  struct params p;

  CU_ASSERT_EQUAL (apply (&p, "fs", "none"), 0);
  CU_ASSERT_EQUAL (p.fs, PARAM_FS_NONE);
  CU_ASSERT_EQUAL (apply (&p, "fs", "ext4"), 0);
  CU_ASSERT_EQUAL (p.fs, PARAM_FS_EXT4);
  CU_ASSERT_EQUAL (apply (&p, "scrub", "off"), 0);
  CU_ASSERT_FALSE (p.scrub);
  CU_ASSERT_EQUAL (apply (&p, "scrub-interval", "0s"), 0);
  CU_ASSERT_EQUAL (p.scrub_interval_ns, 0);
  CU_ASSERT_EQUAL (apply (&p, "scrub-budget", "5ms"), 0);
  CU_ASSERT_EQUAL (p.scrub_budget_ns, 5000000);
  CU_ASSERT_EQUAL (apply (&p, "repair", "online"), 0);
  CU_ASSERT_EQUAL (p.repair, PARAM_REPAIR_ONLINE);
  CU_ASSERT_EQUAL (apply (&p, "flush", "volatile"), 0);
  CU_ASSERT_EQUAL (p.flush, PARAM_FLUSH_VOLATILE);
  CU_ASSERT_EQUAL (apply (&p, "writeback-interval", "250ms"), 0);
  CU_ASSERT_EQUAL (p.writeback_interval_ns, 250000000);
  CU_ASSERT_EQUAL (apply (&p, "report-past-errors", "yes"), 0);
  CU_ASSERT_TRUE (p.report_past_errors);
  CU_ASSERT_EQUAL (apply (&p, "retries", "0"), 0);
  CU_ASSERT_EQUAL (p.retries, 0);
  CU_ASSERT_EQUAL (apply (&p, "retries", "20"), 0);
  CU_ASSERT_EQUAL (p.retries, 20);
  CU_ASSERT_EQUAL (apply (&p, "state-dir", "/var/lib/x"), 0);
  CU_ASSERT_STRING_EQUAL (p.state_dir, "/var/lib/x");
  params_free (&p);
  CU_ASSERT_EQUAL (apply (&p, "control-listen", "127.0.0.1:10810"), 0);
  params_free (&p);
  CU_ASSERT_EQUAL (apply (&p, "control-listen", "[::1]:10810"), 0);
  params_free (&p);
  CU_ASSERT_EQUAL (apply (&p, "errortag", "read-eio@1M+4k,fsync-eio*1"), 0);
  CU_ASSERT_EQUAL (p.errortags.n, 2);
  params_free (&p);
}

/* Each bad value fails with one line that names the key. */
static void
test_params__bad_values_fail_naming_the_key (void)
{
  static const struct {
    const char *key, *value;
  } bad[] = {
    { "fs", "xfs" },
    { "scrub", "maybe" },
    { "scrub", "true" },
    { "scrub-interval", "10" },
    { "scrub-interval", "5x" },
    { "scrub-budget", "10us" },
    { "repair", "always" },
    { "flush", "sometimes" },
    { "writeback-interval", "0s" },
    { "report-past-errors", "perhaps" },
    { "retries", "-1" },
    { "retries", "21" },
    { "retries", "3x" },
    { "control-listen", "nohost" },
    { "control-listen", "127.0.0.1:99999" },
    { "control-listen", ":80" },
    { "control-listen", "[::1:80" },
    { "errortag", "bogus" },
    { "state-dir", "" },
  };
  size_t i;

  for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    struct params p;

    CU_ASSERT_EQUAL (apply (&p, bad[i].key, bad[i].value), -1);
    CU_ASSERT_PTR_NOT_NULL (strstr (err, bad[i].key));
    CU_ASSERT_PTR_NULL (strchr (err, '\n'));
    params_free (&p);
  }
}

static void
test_params__unknown_key_is_refused (void)
{
  struct params p;

  CU_ASSERT_EQUAL (apply (&p, "scrubinterval", "1h"), -1);
  CU_ASSERT_PTR_NOT_NULL (strstr (err, "scrubinterval"));
  params_free (&p);
}

static void
test_params__complete_needs_file (void)
{
  struct params p;

  params_init (&p);
  CU_ASSERT_EQUAL (params_complete (&p, err, sizeof err), -1);
  CU_ASSERT_PTR_NOT_NULL (strstr (err, "file"));
  CU_ASSERT_EQUAL (params_set (&p, "file", "/x.img", err, sizeof err), 0);
  CU_ASSERT_EQUAL (params_complete (&p, err, sizeof err), 0);
  params_free (&p);
}

static void
test_params__control_listen_needs_all_three_certificates (void)
{
  struct params p;

  params_init (&p);
  params_set (&p, "file", "/x.img", err, sizeof err);
  params_set (&p, "control-listen", "127.0.0.1:1", err, sizeof err);
  CU_ASSERT_EQUAL (params_complete (&p, err, sizeof err), -1);
  CU_ASSERT_PTR_NOT_NULL (strstr (err, "control-cert"));
  params_set (&p, "control-cert", "/c.pem", err, sizeof err);
  params_set (&p, "control-key", "/k.pem", err, sizeof err);
  CU_ASSERT_EQUAL (params_complete (&p, err, sizeof err), -1);
  CU_ASSERT_PTR_NOT_NULL (strstr (err, "control-ca"));
  params_set (&p, "control-ca", "/ca.pem", err, sizeof err);
  CU_ASSERT_EQUAL (params_complete (&p, err, sizeof err), 0);
  params_free (&p);
}

static void
test_params__certificates_without_control_listen_are_refused (void)
{
  struct params p;

  params_init (&p);
  params_set (&p, "file", "/x.img", err, sizeof err);
  params_set (&p, "control-key", "/k.pem", err, sizeof err);
  CU_ASSERT_EQUAL (params_complete (&p, err, sizeof err), -1);
  CU_ASSERT_PTR_NOT_NULL (strstr (err, "control-listen"));
  params_free (&p);
}

static void
test_params__a_key_given_twice_keeps_the_last_value (void)
{
  struct params p;

  params_init (&p);
  CU_ASSERT_EQUAL (params_set (&p, "state-dir", "/a", err, sizeof err), 0);
  CU_ASSERT_EQUAL (params_set (&p, "state-dir", "/b", err, sizeof err), 0);
  CU_ASSERT_STRING_EQUAL (p.state_dir, "/b");
  params_free (&p);
}

static const struct unit_test tests[] = {
  UNIT_TEST (test_params__defaults_are_the_spec_defaults),
  UNIT_TEST (test_params__durations_parse_with_every_unit),
  UNIT_TEST (test_params__bad_durations_are_refused),
  UNIT_TEST (test_params__duration_formats_back_to_its_shortest_form),
  UNIT_TEST (test_params__sizes_take_binary_suffixes),
  UNIT_TEST (test_params__bools_accept_the_nbdkit_spellings),
  UNIT_TEST (test_params__every_key_accepts_its_documented_form),
  UNIT_TEST (test_params__bad_values_fail_naming_the_key),
  UNIT_TEST (test_params__unknown_key_is_refused),
  UNIT_TEST (test_params__complete_needs_file),
  UNIT_TEST (test_params__control_listen_needs_all_three_certificates),
  UNIT_TEST (test_params__certificates_without_control_listen_are_refused),
  UNIT_TEST (test_params__a_key_given_twice_keeps_the_last_value),
};

UNIT_MAIN ("plugin/params", tests)
