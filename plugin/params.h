/* nbdscrub: plugin parameters (SPEC section 3).
 *
 * Parsing is kept apart from nbdkit so that the unit tests link it alone:
 * every function here reports a bad value by filling a message buffer
 * with one line that names the key and the accepted form, and returning
 * -1.  The plugin passes that line to nbdkit_error.
 */
#ifndef NBDSCRUB_PARAMS_H
#define NBDSCRUB_PARAMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "errortag.h"

enum param_fs { PARAM_FS_AUTO, PARAM_FS_EXT4, PARAM_FS_NONE };
enum param_repair {
  PARAM_REPAIR_OFF,
  PARAM_REPAIR_OFFLINE,
  PARAM_REPAIR_ONLINE,
};
enum param_flush { PARAM_FLUSH_SYNC, PARAM_FLUSH_VOLATILE };

/* The longest duration any key accepts: 30 days. */
#define PARAM_DURATION_MAX_NS (30ULL * 24 * 3600 * 1000000000ULL)
/* retries= is bounded so a failing disk cannot stall a request for long. */
#define PARAM_RETRIES_MAX 20

struct params {
  char *file;                 /* file=, required */
  enum param_fs fs;           /* fs= */
  bool scrub;                 /* scrub= */
  uint64_t scrub_interval_ns; /* scrub-interval= */
  uint64_t scrub_budget_ns;   /* scrub-budget= */
  enum param_repair repair;   /* repair= */
  char *state_dir;            /* state-dir=, NULL = FILE.nbdscrub */
  char *control;              /* control=, NULL = STATE-DIR/control.sock */
  char *control_listen;       /* control-listen=HOST:PORT */
  char *control_cert;         /* control-cert= */
  char *control_key;          /* control-key= */
  char *control_ca;           /* control-ca= */
  enum param_flush flush;     /* flush= */
  uint64_t writeback_interval_ns; /* writeback-interval= */
  bool report_past_errors;    /* report-past-errors= */
  unsigned retries;           /* retries= */
  struct errortag_set errortags; /* errortag=, may be given more than once */
};

/* Fill *p with the defaults of SPEC section 3. */
extern void params_init (struct params *p);
/* Free what params_set allocated. */
extern void params_free (struct params *p);

/* Apply one key=value.  Unknown keys are an error.  Returns 0, or -1 with
 * a one-line message in err.
 */
extern int params_set (struct params *p, const char *key, const char *value,
                       char *err, size_t errlen);

/* Checks that need every key: file= given, the control-listen= trio
 * complete.  Returns 0 or -1 with a message.
 */
extern int params_complete (const struct params *p, char *err, size_t errlen);

/* Value parsers, exposed for the tests and for the nbdscrub command. */
extern int param_parse_duration (const char *s, uint64_t *ns);
extern int param_parse_bool (const char *s, bool *b);
extern int param_parse_size (const char *s, uint64_t *v);

/* Formats ns as the shortest exact DURATION string ("2ms", "1h"). */
extern void param_format_duration (uint64_t ns, char *buf, size_t len);

#endif /* NBDSCRUB_PARAMS_H */
