/* nbdscrub: one finding as users see it, shared by `nbdscrub check` and
 * the server's status.json, so both name objects and spell codes alike.
 */
#ifndef NBDSCRUB_REPORT_H
#define NBDSCRUB_REPORT_H

#include <stddef.h>

#include <jansson.h>

#include "scrub.h"

/* "group 3", "inode 12" or "filesystem", by the type the code belongs
 * to.  Returns buf.
 */
extern const char *scrub_object_name (const struct scrub_finding *f,
                                      char *buf, size_t len);

/* {code, name, type, severity, group, ino, block, expected, found,
 * object, message}: a new reference, or NULL when out of memory.
 */
extern json_t *scrub_finding_json (const struct scrub_finding *f);

/* Per-type statistics as JSON: {type: {runs, clean, corrupt, preen,
 * warning, time_s}} for the types that ran.
 */
struct scrub_type_stats;
extern json_t *scrub_stats_json (const struct scrub_type_stats *stats);

#endif /* NBDSCRUB_REPORT_H */
