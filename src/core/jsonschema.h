/*
 * jsonschema.h - a JSON Schema (draft-07) validator for the keywords
 * lakeform's schemas use.
 *
 * Supported keywords: type, properties, required, additionalProperties,
 * patternProperties, enum, const, pattern, minLength, maxLength, minimum,
 * maximum, exclusiveMinimum, exclusiveMaximum, multipleOf, items (schema and
 * array form), additionalItems, minItems, maxItems, uniqueItems, contains,
 * minProperties, maxProperties, propertyNames, dependencies, oneOf, anyOf,
 * allOf, not, if/then/else, $ref to local definitions ("#", "#/definitions/x",
 * any JSON pointer into the same document), and the boolean schemas true and
 * false.  Annotations (title, description, default, examples, $comment and
 * every "x-lakeform-*" keyword) are ignored by validation.  `format` is
 * ignored, as draft-07 allows.
 *
 * Errors are not printed: each is passed to a callback with the path of the
 * failing instance, so that the caller can turn the path into a file and line.
 * The path is the deepest value that fails: "unknown property 'foo'" points at
 * the member 'foo', "missing required property 'region'" at the object.
 * When a value has the wrong type, that is its only error from that schema.
 * For a failing anyOf or oneOf there is one error at the value ("must match
 * at least one of the alternatives"), except that when the alternatives pin
 * a property with const or enum, the errors of the alternative the value's
 * property selects are reported instead, or "'x' is not one of 'a', 'b'" at
 * that property when it selects none.
 *
 * `pattern` and `patternProperties` take ECMA-262 regular expressions and
 * search (they are not anchored).  Characters are code points, as with the
 * 'u' flag: "^.$" matches "é".  Supported: literals, '.', classes with ranges
 * and negation, \d \D \w \W \s \S (also inside classes), \b, the escapes
 * \t \n \v \f \r \cX \xHH \uHHHH \u{H...} and escaped punctuation such as
 * \. \- \/, groups (capturing, "(?:", named), '|', greedy and lazy
 * quantifiers, "^" and "$" as the ends of the string.  Lookaround,
 * backreferences, \B, \p{...} and NUL characters are not supported:
 * lf_schema_compile() rejects them.
 * Patterns run the same whatever the process locale is.
 *
 * Limits: validation stops descending at 512 levels of instance nesting and
 * reports "value is nested more than 512 levels deep".  $refs that could
 * loop without descending into the instance ("#" referring to itself, or
 * through allOf, anyOf, oneOf, not, if/then/else or dependencies) are
 * rejected by lf_schema_compile().
 *
 * Ownership: a compiled schema holds a reference to the json_t it was made
 * from; the caller keeps its own reference too and may drop it at any time.
 * A compiled schema is not changed by validation and may be used by several
 * threads at once.
 */
#ifndef LF_CORE_JSONSCHEMA_H
#define LF_CORE_JSONSCHEMA_H

#include <jansson.h>
#include <stddef.h>

struct lf_schema;

/*
 * One step of an instance path: `container` is the object or array that
 * holds the failing value; for an object `key` names the member and `index`
 * is (size_t)-1; for an array `key` is NULL and `index` is the position.
 * A path of length 0 means the document root.
 */
struct lf_jpath_seg {
	const json_t *container;
	const char *key;
	size_t index;
};

/*
 * Called once per validation error.  `path`/`depth` locate the failing value
 * (borrowed, valid only during the call); `msg` is a lowercase message
 * without a trailing full stop, e.g. "missing required property 'region'",
 * "'x' is not one of 'serverless', 'classic'", "expected string, got integer".
 * When the value's subschema carries "x-lakeform-message" (a string), that
 * message is used instead of the generic one for a failing `pattern`.
 */
typedef void (*lf_schema_error_fn)(void *ctx, const struct lf_jpath_seg *path, size_t depth,
                                   const char *msg);

/*
 * Compile `schema` (a draft-07 schema document, borrowed; a reference is
 * taken).  Returns 0, or -1 with a message in *err (owned by the caller, free
 * it) when the schema itself is invalid: a bad regular expression, an
 * unresolvable $ref, a keyword of the wrong type.  The message ends with the
 * schema's location: "unknown type 'strin' at '#/properties/name'".  On
 * failure *out is NULL; `err` may be NULL when the message is not wanted.
 */
int lf_schema_compile(struct lf_schema **out, json_t *schema, char **err);

/*
 * Validate `instance` (borrowed).  Returns the number of errors reported
 * through `fn` (0 when valid).  `fn` may be NULL to only count.
 * Validation never changes the instance.
 */
size_t lf_schema_validate(const struct lf_schema *s, const json_t *instance, lf_schema_error_fn fn,
                          void *ctx);

/* Free a compiled schema; NULL is allowed. */
void lf_schema_free(struct lf_schema *s);

#endif
