/*
 * s3policy.h - the S3 bucket policy document lakeform writes for a
 * storage.policy's statements, shared by lakeform-provider-s3 (which sends
 * it) and the core's expand (which measures it at plan time, so that a
 * policy AWS would refuse fails the plan and never the apply).
 *
 * The document is compact: one statement per principal and access
 * ("LakeformRead<n>", "LakeformWrite<n>": Resource lists every path of
 * that principal and access) and one "LakeformList<n>" per principal
 * (s3:ListBucket, limited by StringLike s3:prefix to its paths unless one
 * path is the whole bucket); <n> numbers the principals in order of first
 * appearance.  Exact duplicates are sent once.
 */
#ifndef S3POLICY_H
#define S3POLICY_H

#include <jansson.h>
#include <stddef.h>

/* The ARN of `principal` ("user:a@b"), borrowed, or NULL when unknown. */
typedef const char *(*s3_policy_arn_fn)(void *arg, const char *principal);

/*
 * The document for `statements` ([{principal, access, path}], access "read"
 * or "write") on `bucket`, with `id` as its Id: a new reference.  NULL when
 * a principal has no ARN; *missing (if given) then borrows its name.
 */
json_t *s3_policy_compile(const char *bucket, const char *id, const json_t *statements,
                          s3_policy_arn_fn arn, void *arg, const char **missing);

/* The text sent for `doc` (compact, in order): a new string. */
char *s3_policy_text(const json_t *doc);

/* Actions of a grant of `write` (1) or read (0) access, NULL-terminated. */
const char *const *s3_policy_actions(int write);

#endif
