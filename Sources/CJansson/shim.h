#ifndef TRELLIS_CJANSSON_SHIM_H
#define TRELLIS_CJANSSON_SHIM_H
#include <jansson.h>

/* jansson's json_incref, json_decref and json_typeof are macros or static inline functions that Swift
   cannot always import, so these wrappers give them plain C names. */
static inline void trellis_json_decref(json_t *value) { json_decref(value); }
static inline json_t *trellis_json_incref(json_t *value) { return json_incref(value); }
static inline int trellis_json_typeof(const json_t *value) { return (int)json_typeof(value); }
/* JSON_INDENT and JSON_REAL_PRECISION are function-like macros, which Swift does not import. */
static inline size_t trellis_json_format_flags(int indent, int precision) {
    return (size_t)(JSON_INDENT(indent) | JSON_REAL_PRECISION(precision));
}
#endif
