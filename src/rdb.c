/*
 * rdb: the streaming RDB walk (see rdb.h).
 *
 * The walk is a small interpreter: each object type and opcode is a program
 * of steps (read a length, a string, a fixed field, repeat a sub-program as
 * many times as the last length said, ...) in the tables below, and a stack
 * of running programs stands in for the recursion of Redis's loader. Every
 * step can stop at the end of a chunk and resume with the next, so the walk
 * never needs more than the current chunk, a few bytes of state, and the
 * container string being checked (rdbblob.h).
 */
#include "config.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crc.h"
#include "rdb.h"
#include "rdbblob.h"
#include "rdbdup.h"
#include "xmalloc.h"

#define RDB_HEAD_LEN      9 /* "REDIS" and four version digits */
#define RDB_CKSUM_LEN     8
#define RDB_CKSUM_VERSION 5
#define RDB_MAX_VERSION   12
#define RDB_STACK_MAX     8
#define RDB_LZF_ENC       3

/* Steps: each is two bytes in a program, the step and its argument. */
enum rdb_op {
	OP_END,      /* end of program: repeat it or return */
	OP_LEN,      /* a length, kept in r->val */
	OP_STR,      /* a string; arg 1: it is the key of an object */
	OP_BLOB,     /* a string holding a container; arg: enum rdbblob_kind */
	OP_FIX,      /* arg bytes of a fixed field */
	OP_DBL8,     /* a binary double, not NaN */
	OP_DBLTXT,   /* a double as text (RDB_TYPE_ZSET) */
	OP_NONEMPTY, /* the last length is not 0: Redis refuses empty keys */
	OP_REPEAT,   /* run program arg r->val times */
	OP_IFTYPE,   /* skip the next step unless the object type >= arg */
	OP_NODEKEY,  /* a string of exactly 16 bytes: a stream ID */
	OP_QLBEGIN,  /* start counting the non-empty nodes of a quicklist */
	OP_QLEND,    /* at least one of them */
	OP_QL2NODE,  /* after the container length: a plain or packed node */
	OP_MODULE,   /* module values by their opcodes until EOF */
	OP_MODOP,    /* one module value after its opcode */
	OP_WHEN,     /* MODULE_AUX's when_opcode must be UINT */
	OP_CALL,     /* run program arg once */
	OP_TOP,      /* the next opcode or object type */
	OP_DUPBEGIN, /* start collecting member hashes */
	OP_DUPEND,   /* no two alike; arg 1: they are a stream group's pending IDs */
	OP_PELID,    /* a 16-byte ID: arg 0 into the group's list, 1 looked up in it */
};

enum rdb_prog {
	P_TOP,
	P_STR1,
	P_STR2,
	P_STR_DBLTXT,
	P_STR_DBL8,
	P_TTL_STR2,
	P_QL1,
	P_QL2,
	P_STREAM_NODE,
	P_CGROUP,
	P_PEL,
	P_CONSUMER,
	P_CPEL,
	P_MODULE,
	P_LEN,
	P_FIX4,
	P_FIX8,
	P_STRONLY,
	P_MEMBER1,
	P_LEN5,
	P_QL2_LP,
	/* Opcodes. */
	P_SELECTDB,
	P_EXPIRE,
	P_EXPIRE_MS,
	P_RESIZEDB,
	P_AUX,
	P_FREQ,
	P_IDLE,
	P_MODULE_AUX,
	P_FUNCTION2,
	P_SLOT_INFO,
	/* Object types 0..25, in order. */
	P_T_STRING,
	P_T_LIST,
	P_T_SET,
	P_T_ZSET,
	P_T_HASH,
	P_T_ZSET2,
	P_T_MODULE2,
	P_T_ZIPMAP,
	P_T_LIST_ZL,
	P_T_INTSET,
	P_T_ZSET_ZL,
	P_T_HASH_ZL,
	P_T_QUICKLIST,
	P_T_STREAM,
	P_T_HASH_LP,
	P_T_ZSET_LP,
	P_T_QUICKLIST2,
	P_T_SET_LP,
	P_T_HASH_META_PRE,
	P_T_HASH_LPEX_PRE,
	P_T_HASH_META,
	P_T_HASH_LPEX,
	P_COUNT
};

#define S(op, arg) op, arg
#define END        OP_END, 0
static const uint8_t rdb_progs[P_COUNT][32] = {
	[P_TOP] = { S(OP_TOP, 0), END },
	[P_STR1] = { S(OP_STR, 0), END },
	[P_MEMBER1] = { S(OP_STR, 2), END },
	/* OP_STR 2: a member whose hash goes into the duplicate check */
	[P_STR2] = { S(OP_STR, 2), S(OP_STR, 0), END },
	[P_STR_DBLTXT] = { S(OP_STR, 2), S(OP_DBLTXT, 0), END },
	[P_STR_DBL8] = { S(OP_STR, 2), S(OP_DBL8, 0), END },
	[P_TTL_STR2] = { S(OP_LEN, 0), S(OP_STR, 2), S(OP_STR, 0), END },
	[P_QL1] = { S(OP_BLOB, RDBBLOB_ZIPLIST), END },
	[P_QL2] = { S(OP_LEN, 0), S(OP_QL2NODE, 0), END },
	[P_STREAM_NODE] = { S(OP_NODEKEY, 0), S(OP_BLOB, RDBBLOB_STREAM), END },
	/* name, last id, entries_read (v2), PEL, consumers */
	[P_CGROUP] = { S(OP_STR, 0), S(OP_LEN, 0), S(OP_LEN, 0), S(OP_IFTYPE, 19), S(OP_LEN, 0),
	               S(OP_LEN, 0), S(OP_DUPBEGIN, 0), S(OP_REPEAT, P_PEL), S(OP_DUPEND, 1),
	               S(OP_LEN, 0), S(OP_REPEAT, P_CONSUMER), END },
	[P_PEL] = { S(OP_PELID, 0), S(OP_FIX, 8), S(OP_LEN, 0), END },
	/* name, seen time, active time (v3), PEL */
	[P_CONSUMER] = { S(OP_STR, 0), S(OP_FIX, 8), S(OP_IFTYPE, 21), S(OP_FIX, 8), S(OP_LEN, 0),
	                 S(OP_REPEAT, P_CPEL), END },
	[P_CPEL] = { S(OP_PELID, 1), END },
	[P_MODULE] = { S(OP_LEN, 0), S(OP_MODOP, 0), END },
	[P_LEN] = { S(OP_LEN, 0), END },
	[P_FIX4] = { S(OP_FIX, 4), END },
	[P_FIX8] = { S(OP_FIX, 8), END },
	[P_STRONLY] = { S(OP_STR, 0), END },
	[P_LEN5] = { S(OP_LEN, 0), S(OP_LEN, 0), S(OP_LEN, 0), S(OP_LEN, 0), S(OP_LEN, 0), END },
	[P_QL2_LP] = { S(OP_BLOB, RDBBLOB_LISTPACK), END },
	[P_SELECTDB] = { S(OP_LEN, 0), END },
	[P_EXPIRE] = { S(OP_FIX, 4), END },
	[P_EXPIRE_MS] = { S(OP_FIX, 8), END },
	[P_RESIZEDB] = { S(OP_LEN, 0), S(OP_LEN, 0), END },
	[P_AUX] = { S(OP_STR, 0), S(OP_STR, 0), END },
	[P_FREQ] = { S(OP_FIX, 1), END },
	[P_IDLE] = { S(OP_LEN, 0), END },
	[P_MODULE_AUX] = { S(OP_LEN, 0), S(OP_LEN, 0), S(OP_WHEN, 0), S(OP_LEN, 0), S(OP_MODULE, 0),
	                   END },
	[P_FUNCTION2] = { S(OP_STR, 0), END },
	[P_SLOT_INFO] = { S(OP_LEN, 0), S(OP_LEN, 0), S(OP_LEN, 0), END },
	[P_T_STRING] = { S(OP_STR, 1), S(OP_STR, 0), END },
	[P_T_LIST] = { S(OP_STR, 1), S(OP_LEN, 0), S(OP_NONEMPTY, 0), S(OP_REPEAT, P_STR1), END },
	[P_T_SET] = { S(OP_STR, 1), S(OP_LEN, 0), S(OP_NONEMPTY, 0), S(OP_DUPBEGIN, 0),
	              S(OP_REPEAT, P_MEMBER1), S(OP_DUPEND, 0), END },
	[P_T_ZSET] = { S(OP_STR, 1), S(OP_LEN, 0), S(OP_NONEMPTY, 0), S(OP_DUPBEGIN, 0),
	               S(OP_REPEAT, P_STR_DBLTXT), S(OP_DUPEND, 0), END },
	[P_T_HASH] = { S(OP_STR, 1), S(OP_LEN, 0), S(OP_NONEMPTY, 0), S(OP_DUPBEGIN, 0),
	               S(OP_REPEAT, P_STR2), S(OP_DUPEND, 0), END },
	[P_T_ZSET2] = { S(OP_STR, 1), S(OP_LEN, 0), S(OP_NONEMPTY, 0), S(OP_DUPBEGIN, 0),
	                S(OP_REPEAT, P_STR_DBL8), S(OP_DUPEND, 0), END },
	[P_T_MODULE2] = { S(OP_STR, 1), S(OP_LEN, 0), S(OP_MODULE, 0), END },
	[P_T_ZIPMAP] = { S(OP_STR, 1), S(OP_BLOB, RDBBLOB_ZIPMAP), END },
	[P_T_LIST_ZL] = { S(OP_STR, 1), S(OP_BLOB, RDBBLOB_ZIPLIST), END },
	[P_T_INTSET] = { S(OP_STR, 1), S(OP_BLOB, RDBBLOB_INTSET), END },
	[P_T_ZSET_ZL] = { S(OP_STR, 1), S(OP_BLOB, RDBBLOB_ZIPLIST_PAIRS), END },
	[P_T_HASH_ZL] = { S(OP_STR, 1), S(OP_BLOB, RDBBLOB_ZIPLIST_PAIRS), END },
	[P_T_QUICKLIST] = { S(OP_STR, 1), S(OP_LEN, 0), S(OP_NONEMPTY, 0), S(OP_QLBEGIN, 0),
	                    S(OP_REPEAT, P_QL1), S(OP_QLEND, 0), END },
	/* nodes, length, last id, (v2: first id, max deleted id, entries added), groups */
	[P_T_STREAM] = { S(OP_STR, 1), S(OP_LEN, 0), S(OP_REPEAT, P_STREAM_NODE), S(OP_LEN, 0),
	                 S(OP_LEN, 0), S(OP_LEN, 0), S(OP_IFTYPE, 19), S(OP_CALL, P_LEN5),
	                 S(OP_LEN, 0), S(OP_REPEAT, P_CGROUP), END },
	[P_T_HASH_LP] = { S(OP_STR, 1), S(OP_BLOB, RDBBLOB_LISTPACK_PAIRS), END },
	[P_T_ZSET_LP] = { S(OP_STR, 1), S(OP_BLOB, RDBBLOB_LISTPACK_PAIRS), END },
	[P_T_QUICKLIST2] = { S(OP_STR, 1), S(OP_LEN, 0), S(OP_NONEMPTY, 0), S(OP_QLBEGIN, 0),
	                     S(OP_REPEAT, P_QL2), S(OP_QLEND, 0), END },
	[P_T_SET_LP] = { S(OP_STR, 1), S(OP_BLOB, RDBBLOB_LISTPACK_SET), END },
	[P_T_HASH_META_PRE] = { S(OP_STR, 1), S(OP_LEN, 0), S(OP_NONEMPTY, 0), S(OP_DUPBEGIN, 0),
	                        S(OP_REPEAT, P_TTL_STR2), S(OP_DUPEND, 0), END },
	[P_T_HASH_LPEX_PRE] = { S(OP_STR, 1), S(OP_BLOB, RDBBLOB_LISTPACK_TRIPLES), END },
	[P_T_HASH_META] = { S(OP_STR, 1), S(OP_FIX, 8), S(OP_LEN, 0), S(OP_NONEMPTY, 0),
	                    S(OP_DUPBEGIN, 0), S(OP_REPEAT, P_TTL_STR2), S(OP_DUPEND, 0), END },
	[P_T_HASH_LPEX] = { S(OP_STR, 1), S(OP_FIX, 8), S(OP_BLOB, RDBBLOB_LISTPACK_TRIPLES), END },
};
#undef S
#undef END

/* The program of each object type; -1: not a type Redis can load. */
static const signed char rdb_type_prog[26] = {
	P_T_STRING,
	P_T_LIST,
	P_T_SET,
	P_T_ZSET,
	P_T_HASH,
	P_T_ZSET2,
	-1 /* module, pre-GA */,
	P_T_MODULE2,
	-1,
	P_T_ZIPMAP,
	P_T_LIST_ZL,
	P_T_INTSET,
	P_T_ZSET_ZL,
	P_T_HASH_ZL,
	P_T_QUICKLIST,
	P_T_STREAM,
	P_T_HASH_LP,
	P_T_ZSET_LP,
	P_T_QUICKLIST2,
	P_T_STREAM,
	P_T_SET_LP,
	P_T_STREAM,
	P_T_HASH_META_PRE,
	P_T_HASH_LPEX_PRE,
	P_T_HASH_META,
	P_T_HASH_LPEX,
};

static const char *const rdb_type_names[26] = {
	"string",
	"list",
	"set",
	"zset",
	"hash",
	"zset-v2",
	"module-pre-ga",
	"module",
	"type-8",
	"hash-zipmap",
	"list-ziplist",
	"set-intset",
	"zset-ziplist",
	"hash-ziplist",
	"quicklist",
	"stream",
	"hash-listpack",
	"zset-listpack",
	"quicklist-v2",
	"stream-v2",
	"set-listpack",
	"stream-v3",
	"hash-ttl-pre-ga",
	"hash-listpack-ttl-pre-ga",
	"hash-ttl",
	"hash-listpack-ttl",
};

enum rdb_phase { PH_MAGIC, PH_WALK, PH_CKSUM, PH_TRAIL, PH_FAILED };

/* Where a string is: reading its length, an integer, LZF lengths, or its bytes. */
enum rdb_sphase { SP_NONE, SP_LEN, SP_INT, SP_CLEN, SP_ULEN, SP_RAW, SP_LZF };

struct rdb_frame {
	uint8_t prog;
	uint8_t pc;
	uint64_t left; /* runs still to do, this one included */
};

struct rdb_check {
	enum rdb_phase phase;
	uint64_t off; /* offset of the next byte */
	int version;
	uint8_t head[RDB_HEAD_LEN];

	struct rdb_frame stack[RDB_STACK_MAX];
	int depth;
	uint64_t val;  /* the last length read */
	int type;      /* the object type being read, -1 between objects */
	uint64_t keys; /* objects read */
	uint64_t ql_nonempty;
	uint64_t obj_off; /* where the current object (or opcode) started */

	/* A field being gathered: a length, a fixed field, a text double. */
	uint8_t tmp[260];
	size_t tmp_have;
	uint64_t field_off; /* where it started */
	int stalled;        /* the step needs input and the chunk is used up */

	/* The string being read. */
	enum rdb_sphase sphase;
	int skind;                      /* enum rdbblob_kind + 1, 0 for a plain string */
	uint64_t sdeclared;             /* its length once decoded */
	uint64_t sleft;                 /* raw (or compressed) bytes still to come */
	uint64_t s_off;                 /* where it started */
	uint8_t *blob;                  /* the container's bytes, when checked inside */
	const uint8_t *view;            /* or where they are in the chunk, when all there */
	struct rdbblob_scratch scratch; /* reused by rdbblob_check */
	size_t blob_len, blob_alloc;
	int blob_keep;
	int smember; /* a member: its hash goes into dup */
	/* LZF state: the decoder's position inside a token. */
	int lzf_state; /* 0: control byte, 1: literal, 2: length byte, 3: offset byte */
	unsigned lzf_ctrl, lzf_len;
	uint64_t lzf_lit; /* literal bytes left */
	uint64_t lzf_out; /* bytes produced */
	int lzf_bad;

	uint64_t crc;
	uint64_t eof_off; /* offset of the EOF opcode */
	uint8_t cksum[RDB_CKSUM_LEN];
	size_t cksum_have;
	uint64_t trailing;
	int embedded;       /* followed by other data: stop at the end */
	uint64_t big_blobs; /* containers too large to check inside */

	/* The members of the current key, or a stream group's pending IDs. */
	struct rdbdup dup;
	uint64_t dup_unchecked; /* keys whose duplicates were not checked */

	char *error;
	uint64_t error_off;
};

static void __attribute__((format(printf, 3, 4)))
rdb_fail(struct rdb_check *r, uint64_t off, const char *fmt, ...)
{
	va_list ap;
	char *what;

	if (r->phase == PH_FAILED)
		return;
	va_start(ap, fmt);
	what = xvasprintf(fmt, ap);
	va_end(ap);
	if (r->type >= 0)
		r->error = xasprintf("rdb: key %" PRIu64 " (%s, from offset %" PRIu64
		                     "): %s at offset %" PRIu64,
		                     r->keys, rdb_type_names[r->type], r->obj_off, what, off);
	else
		r->error = xasprintf("rdb: %s at offset %" PRIu64, what, off);
	free(what);
	r->error_off = off;
	r->phase = PH_FAILED;
}

struct rdb_check *
rdb_check_init(void)
{
	struct rdb_check *r = xcalloc(1, sizeof *r);

	r->type = -1;
	r->stack[0].prog = P_TOP;
	r->stack[0].left = UINT64_MAX;
	r->depth = 1;
	return r;
}

void
rdb_check_free(struct rdb_check *r)
{
	if (r == NULL)
		return;
	free(r->blob);
	rdbblob_scratch_free(&r->scratch);
	rdbdup_free(&r->dup);
	free(r->error);
	free(r);
}

/* ---- program control ---- */

static void
rdb_push(struct rdb_check *r, int prog, uint64_t times)
{
	struct rdb_frame *f;

	if (times == 0)
		return;
	if (r->depth == RDB_STACK_MAX) { /* the programs nest less deeply than this */
		rdb_fail(r, r->off, "internal error: program stack overflow");
		return;
	}
	f = &r->stack[r->depth++];
	f->prog = (uint8_t)prog;
	f->pc = 0;
	f->left = times;
}

/*
 * Moves past the current step; at a program's end repeats it or returns to
 * the caller, which had already moved past the step that started it (steps
 * that start a program move on first, then push it).
 */
static void
rdb_next(struct rdb_check *r)
{
	struct rdb_frame *f = &r->stack[r->depth - 1];

	f->pc += 2;
	while (rdb_progs[f->prog][f->pc] == OP_END) {
		if (--f->left > 0) {
			f->pc = 0;
			return;
		}
		r->depth--;
		f = &r->stack[r->depth - 1];
	}
}

/* Gathers bytes into tmp until it holds want; returns bytes used. */
static size_t
rdb_gather(struct rdb_check *r, const uint8_t *p, size_t n, size_t want)
{
	size_t take = want - r->tmp_have < n ? want - r->tmp_have : n;

	memcpy(r->tmp + r->tmp_have, p, take);
	r->tmp_have += take;
	return take;
}

/* Size of a length whose first byte is b; 0 for an unknown encoding. */
static size_t
rdb_len_size(uint8_t b)
{
	switch (b >> 6) {
	case 0:
	case 3:
		return 1;
	case 1:
		return 2;
	default:
		return b == 0x80 ? 5 : b == 0x81 ? 9 : 0;
	}
}

/* The value of the length of want bytes (rdb_len_size) at p. */
static uint64_t
rdb_len_value(const uint8_t *p, size_t want)
{
	uint64_t v;
	size_t i;

	if (want == 1)
		return p[0] & 0x3f;
	if (want == 2)
		return (uint64_t)(p[0] & 0x3f) << 8 | p[1];
	for (v = 0, i = 1; i < want; i++)
		v = v << 8 | p[i];
	return v;
}

/*
 * Reads a length into *val (and whether it is a special encoding into
 * *enc); returns the bytes used. *done is 1 once it is complete.
 */
static size_t
rdb_read_len(struct rdb_check *r, const uint8_t *p, size_t n, uint64_t *val, int *enc, int *done)
{
	size_t used = 0, want;

	*done = 0;
	/* The common case: the whole length is in this chunk. */
	if (r->tmp_have == 0 && n > 0 && (want = rdb_len_size(p[0])) != 0 && want <= n) {
		*enc = p[0] >> 6 == 3;
		*val = rdb_len_value(p, want);
		*done = 1;
		return want;
	}
	if (r->tmp_have == 0) {
		r->field_off = r->off;
		used = rdb_gather(r, p, n, 1);
	}
	want = rdb_len_size(r->tmp[0]);
	if (want == 0) {
		rdb_fail(r, r->field_off, "unknown length encoding 0x%02x", r->tmp[0]);
		return used;
	}
	used += rdb_gather(r, p + used, n - used, want);
	if (r->tmp_have < want)
		return used;
	*enc = r->tmp[0] >> 6 == 3;
	*val = rdb_len_value(r->tmp, want);
	r->tmp_have = 0;
	*done = 1;
	return used;
}

/* ---- duplicates (rdbdup.h) ---- */

/* A stream pending-entry ID: recorded for the group, or looked up for a consumer. */
static size_t
rdb_pelid(struct rdb_check *r, const uint8_t *p, size_t n, int lookup)
{
	size_t used;
	uint64_t h;

	if (r->tmp_have == 0)
		r->field_off = r->off;
	used = rdb_gather(r, p, n, 16);
	if (r->tmp_have < 16)
		return used;
	r->tmp_have = 0;
	h = rdbdup_hash(r->tmp, 16);
	if (!lookup)
		rdbdup_add(&r->dup, h);
	else if (rdbdup_missing(&r->dup, h)) {
		rdb_fail(r, r->field_off, "a consumer's pending entry is not in its group's list");
		return used;
	}
	rdb_next(r);
	return used;
}

/* ---- strings ---- */

/* Gets ready to hold a container string of the declared length, if it is not too long. */
static void
rdb_blob_start(struct rdb_check *r)
{
	r->blob_len = 0;
	r->blob_keep = (r->skind != 0 || r->smember) && r->sdeclared <= RDB_BLOB_MAX;
	if (r->blob_keep && r->blob_alloc < r->sdeclared) {
		free(r->blob);
		r->blob_alloc = r->sdeclared > 4096 ? (size_t)r->sdeclared : 4096;
		r->blob = xmalloc(r->blob_alloc);
	}
}

/* A kept string's bytes: in the chunk, or gathered in blob. */
static const uint8_t *
rdb_blob_bytes(const struct rdb_check *r)
{
	return r->view != NULL ? r->view : r->blob;
}

/* A container string is complete: check inside it. */
static void
rdb_blob_done(struct rdb_check *r)
{
	enum rdbblob_kind kind = (enum rdbblob_kind)(r->skind - 1);
	int quicklist = r->type == 14 || r->type == 18;
	const char *err;
	uint64_t count;

	if (!r->blob_keep) {
		r->big_blobs++;
		r->ql_nonempty++;
		return;
	}
	err = rdbblob_check(kind, rdb_blob_bytes(r), r->blob_len, &count, &r->scratch);
	if (err != NULL)
		rdb_fail(r, r->s_off, "%s", err);
	else if (count > 0)
		r->ql_nonempty++;
	else if (kind == RDBBLOB_STREAM)
		rdb_fail(r, r->s_off, "empty listpack inside a stream");
	else if (!quicklist)
		rdb_fail(r, r->s_off, "empty %s (Redis refuses empty keys)",
		         rdbblob_kind_name(kind));
}

static void
rdb_str_done(struct rdb_check *r, int nodekey)
{
	r->sphase = SP_NONE;
	if (r->smember && r->blob_keep)
		rdbdup_add(&r->dup, rdbdup_hash(rdb_blob_bytes(r), r->blob_len));
	else if (r->smember)
		rdbdup_give_up(&r->dup);
	if (nodekey && r->sdeclared != 16)
		rdb_fail(r, r->s_off, "stream node key of %" PRIu64 " bytes, not a 16-byte ID",
		         r->sdeclared);
	else if (r->skind != 0)
		rdb_blob_done(r);
	r->view = NULL;
	if (r->phase == PH_WALK)
		rdb_next(r);
}

/*
 * Redis's lzf_decompress as a stream: counts what each token produces and
 * checks back-references against what was produced so far; copies into the
 * blob when the string is a container. Any error is remembered in lzf_bad.
 * The state lives in locals while the chunk lasts, so that the compiler
 * keeps it in registers rather than storing every token's into r.
 */
static void
rdb_lzf(struct rdb_check *r, const uint8_t *p, size_t k)
{
	uint64_t want = r->sdeclared, out = r->lzf_out, lit = r->lzf_lit, dist, len, j;
	unsigned ctrl = r->lzf_ctrl, ref = r->lzf_len;
	int state = r->lzf_state, bad = r->lzf_bad;
	uint8_t *blob = r->blob_keep ? r->blob : NULL, *o;
	const uint8_t *src;
	size_t i = 0, take;

	while (i < k && !bad) {
		switch (state) {
		case 0:
			ctrl = p[i++];
			if (ctrl < 32) {
				lit = ctrl + 1;
				bad = out + lit > want;
				state = 1;
			} else {
				ref = ctrl >> 5;
				state = ref == 7 ? 2 : 3;
			}
			break;
		case 1:
			take = lit < k - i ? (size_t)lit : k - i;
			if (blob != NULL)
				memcpy(blob + out, p + i, take);
			out += take;
			lit -= take;
			i += take;
			if (lit == 0)
				state = 0;
			break;
		case 2:
			ref += p[i++];
			state = 3;
			break;
		default:
			dist = ((uint64_t)(ctrl & 0x1f) << 8) + p[i++] + 1;
			len = (uint64_t)ref + 2;
			if (out + len > want || dist > out) {
				bad = 1;
				break;
			}
			/* A copy that overlaps its source repeats it: byte by byte then. */
			if (blob != NULL) {
				o = blob + out;
				src = o - dist;
				if (dist >= len)
					memcpy(o, src, (size_t)len);
				else
					for (j = 0; j < len; j++)
						o[j] = src[j];
			}
			out += len;
			state = 0;
		}
	}
	r->lzf_out = out;
	r->lzf_lit = lit;
	r->lzf_ctrl = ctrl;
	r->lzf_len = ref;
	r->lzf_state = state;
	r->lzf_bad = bad;
}

static void
rdb_lzf_done(struct rdb_check *r, int nodekey)
{
	/* lzf_decompress returns 0 on any error, which Redis compares with the
	 * declared length: a declared 0 is accepted whatever follows. */
	if (r->sdeclared != 0 && (r->lzf_bad || r->lzf_state != 0 || r->lzf_out != r->sdeclared)) {
		rdb_fail(r, r->s_off,
		         "LZF string does not decompress to its declared %" PRIu64 " bytes",
		         r->sdeclared);
		return;
	}
	r->blob_len = (size_t)r->lzf_out;
	rdb_str_done(r, nodekey);
}

/* After the length: an integer, LZF lengths, or raw bytes. */
static void
rdb_str_len(struct rdb_check *r, uint64_t v, int enc, int nodekey)
{
	if (!enc) {
		r->sdeclared = r->sleft = v;
		rdb_blob_start(r);
		r->sphase = SP_RAW;
		if (v == 0)
			rdb_str_done(r, nodekey);
	} else if (v <= 2) {
		r->sleft = 1u << v; /* int8, int16, int32 */
		r->sphase = SP_INT;
	} else if (v == RDB_LZF_ENC) {
		r->sphase = SP_CLEN;
	} else {
		rdb_fail(r, r->s_off, "unknown string encoding %" PRIu64, v);
	}
}

/* The decimal text of an integer-encoded string of size 1, 2 or 4 at p; its length. */
static size_t
rdb_int_text(const uint8_t *p, size_t size, char num[24])
{
	int64_t v;

	if (size == 1)
		v = (int8_t)p[0];
	else if (size == 2)
		v = (int16_t)(p[0] | p[1] << 8);
	else
		v = (int32_t)((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
		              (uint32_t)p[3] << 24);
	return (size_t)snprintf(num, 24, "%" PRId64, v);
}

static void
rdb_str_int(struct rdb_check *r, int nodekey)
{
	char num[24];

	/* Redis hands a container its decimal text; no container is that short. */
	r->sdeclared = rdb_int_text(r->tmp, (size_t)r->sleft, num);
	r->tmp_have = 0;
	rdb_blob_start(r);
	if (r->blob_keep)
		memcpy(r->blob, num, (size_t)r->sdeclared);
	r->blob_len = (size_t)r->sdeclared;
	rdb_str_done(r, nodekey);
}

/* One phase of a string; skind and nodekey say what it is for. */
static size_t
rdb_str_phase(struct rdb_check *r, const uint8_t *p, size_t n, int skind, int nodekey, int member)
{
	size_t used = 0, take;
	uint64_t v = 0;
	int enc = 0, done;

	switch (r->sphase) {
	case SP_NONE:
		r->s_off = r->off;
		r->skind = skind;
		r->smember = member;
		r->sphase = SP_LEN;
		/* fall through */
	case SP_LEN:
		used = rdb_read_len(r, p, n, &v, &enc, &done);
		if (done)
			rdb_str_len(r, v, enc, nodekey);
		return used;
	case SP_INT:
		used = rdb_gather(r, p, n, (size_t)r->sleft);
		if (r->tmp_have == r->sleft)
			rdb_str_int(r, nodekey);
		return used;
	case SP_CLEN:
		used = rdb_read_len(r, p, n, &v, &enc, &done);
		if (done) {
			r->sleft = v;
			r->sphase = SP_ULEN;
		}
		return used;
	case SP_ULEN:
		used = rdb_read_len(r, p, n, &v, &enc, &done);
		if (!done)
			return used;
		r->sdeclared = v;
		rdb_blob_start(r);
		r->lzf_state = 0;
		r->lzf_out = 0;
		r->lzf_bad = 0;
		r->sphase = SP_LZF;
		if (r->sleft == 0)
			rdb_lzf_done(r, nodekey);
		return used;
	case SP_RAW:
		take = r->sleft < n ? (size_t)r->sleft : n;
		/* All of it in this chunk: checked where it is, not copied. */
		if (r->blob_keep && r->blob_len == 0 && take == r->sleft)
			r->view = p;
		else if (r->blob_keep)
			memcpy(r->blob + r->blob_len, p, take);
		r->blob_len += take;
		r->sleft -= take;
		if (r->sleft == 0)
			rdb_str_done(r, nodekey);
		return take;
	default: /* SP_LZF */
		take = r->sleft < n ? (size_t)r->sleft : n;
		rdb_lzf(r, p, take);
		r->sleft -= take;
		if (r->sleft == 0)
			rdb_lzf_done(r, nodekey);
		return take;
	}
}

/*
 * One step of a string: its phases (length, integer, LZF lengths, bytes)
 * one after the other while the chunk lasts, rather than one per call.
 */
static size_t
rdb_str(struct rdb_check *r, const uint8_t *p, size_t n, int skind, int nodekey, int member)
{
	size_t used = 0, k;

	/* Each phase takes r->off for the offset of its first byte (its errors
	 * name it); the caller moves r->off past all of them. */
	do {
		k = rdb_str_phase(r, p + used, n - used, skind, nodekey, member);
		used += k;
		r->off += k;
	} while (k > 0 && used < n && r->sphase != SP_NONE && r->phase == PH_WALK);
	r->off -= used;
	return used;
}

/* ---- the other steps ---- */

static size_t
rdb_dbltxt(struct rdb_check *r, const uint8_t *p, size_t n)
{
	size_t used = 0, want;
	char buf[260];
	char *end;

	if (r->tmp_have == 0) {
		r->field_off = r->off;
		used = rdb_gather(r, p, n, 1);
	}
	want = r->tmp[0] >= 253 ? 1 : (size_t)r->tmp[0] + 1;
	used += rdb_gather(r, p + used, n - used, want);
	if (r->tmp_have < want)
		return used;
	r->tmp_have = 0;
	if (r->tmp[0] == 253) {
		rdb_fail(r, r->field_off, "sorted set with a NaN score");
		return used;
	}
	if (r->tmp[0] < 253) {
		/* sscanf("%lg") as Redis does: some prefix must parse. */
		memcpy(buf, r->tmp + 1, r->tmp[0]);
		buf[r->tmp[0]] = '\0';
		(void)strtod(buf, &end);
		if (end == buf) {
			rdb_fail(r, r->field_off, "sorted set score is not a number");
			return used;
		}
	}
	rdb_next(r);
	return used;
}

static size_t
rdb_fix(struct rdb_check *r, const uint8_t *p, size_t n, size_t want, int dbl)
{
	size_t used;
	uint64_t u = 0;
	double d;
	int i;

	if (r->tmp_have == 0)
		r->field_off = r->off;
	used = rdb_gather(r, p, n, want);
	if (r->tmp_have < want)
		return used;
	r->tmp_have = 0;
	if (dbl) {
		for (i = 7; i >= 0; i--)
			u = u << 8 | r->tmp[i];
		memcpy(&d, &u, sizeof d);
		if (isnan(d)) {
			rdb_fail(r, r->field_off, "sorted set with a NaN score");
			return used;
		}
	}
	rdb_next(r);
	return used;
}

static const signed char rdb_opcode_prog[12] = {
	/* 0xf4 */ P_SLOT_INFO,
	P_FUNCTION2,
	-1 /* function, pre-GA */,
	P_MODULE_AUX,
	/* 0xf8 */ P_IDLE,
	P_FREQ,
	P_AUX,
	P_RESIZEDB,
	/* 0xfc */ P_EXPIRE_MS,
	P_EXPIRE,
	P_SELECTDB,
	-1 /* EOF */,
};

/* The next opcode or object type. */
static size_t
rdb_top(struct rdb_check *r, const uint8_t *p)
{
	uint8_t t = p[0];
	int prog;

	r->type = -1;
	r->obj_off = r->off;
	if (t == 0xff) {
		r->eof_off = r->off;
		r->phase = r->version >= RDB_CKSUM_VERSION ? PH_CKSUM : PH_TRAIL;
		return 1;
	}
	if (t >= 0xf4) {
		prog = rdb_opcode_prog[t - 0xf4];
		if (prog < 0)
			rdb_fail(r, r->off,
			         "pre-release function format (opcode 0xf6) not supported");
		else
			rdb_push(r, prog, 1);
		return 1;
	}
	prog = t < sizeof rdb_type_prog ? rdb_type_prog[t] : -1;
	if (prog < 0) {
		rdb_fail(r, r->off, "invalid object type %u", t);
		return 1;
	}
	r->type = t;
	r->keys++;
	rdb_push(r, prog, 1);
	return 1;
}

/* The module value's opcodes: a MODULE_AUX or module type's payload is a
 * sequence of typed fields ended by opcode 0 (EOF). */
static void
rdb_module_control(struct rdb_check *r, enum rdb_op op)
{
	switch (op) {
	case OP_MODULE:
		rdb_next(r);
		rdb_push(r, P_MODULE, UINT64_MAX);
		break;
	case OP_MODOP:
		if (r->val == 0) { /* module EOF: leave the loop */
			r->stack[r->depth - 1].left = 1;
			rdb_next(r);
			break;
		}
		rdb_next(r);
		if (r->val == 1 || r->val == 2)
			rdb_push(r, P_LEN, 1);
		else if (r->val == 3)
			rdb_push(r, P_FIX4, 1);
		else if (r->val == 4)
			rdb_push(r, P_FIX8, 1);
		else if (r->val == 5)
			rdb_push(r, P_STRONLY, 1);
		else
			rdb_fail(r, r->off, "unknown module opcode %" PRIu64, r->val);
		break;
	default: /* OP_WHEN */
		if (r->val != 2) {
			rdb_fail(r, r->off, "MODULE_AUX when_opcode %" PRIu64 " is not UINT (2)",
			         r->val);
			return;
		}
		rdb_next(r);
		break;
	}
}

/* The type programs' control opcodes: loops, calls, and the checks Redis
 * itself makes when it loads a key. */
static void
rdb_control(struct rdb_check *r, enum rdb_op op, uint8_t arg)
{
	int dup;

	switch (op) {
	case OP_NONEMPTY:
		if (r->val == 0) {
			rdb_fail(r, r->off, "empty key (Redis refuses empty keys)");
			return;
		}
		rdb_next(r);
		break;
	case OP_REPEAT:
		rdb_next(r);
		rdb_push(r, arg, r->val);
		break;
	case OP_CALL:
		rdb_next(r);
		rdb_push(r, arg, 1);
		break;
	case OP_IFTYPE:
		if (r->type < arg)
			r->stack[r->depth - 1].pc += 2;
		rdb_next(r);
		break;
	case OP_DUPBEGIN:
		rdbdup_begin(&r->dup);
		rdb_next(r);
		break;
	case OP_DUPEND:
		if ((dup = rdbdup_end(&r->dup)) < 0)
			r->dup_unchecked++;
		if (dup > 0) {
			rdb_fail(r, r->off, "%s",
			         arg ? "duplicate IDs in a stream consumer group's pending list"
			             : "duplicate members (Redis refuses them)");
			return;
		}
		rdb_next(r);
		break;
	case OP_QLBEGIN:
		r->ql_nonempty = 0;
		rdb_next(r);
		break;
	case OP_QLEND:
		if (r->ql_nonempty == 0) {
			rdb_fail(r, r->off, "quicklist with only empty nodes (an empty key)");
			return;
		}
		rdb_next(r);
		break;
	case OP_QL2NODE:
		rdb_next(r);
		if (r->val == 2) {
			rdb_push(r, P_QL2_LP, 1);
		} else if (r->val == 1) {
			r->ql_nonempty++;
			rdb_push(r, P_STRONLY, 1);
		} else {
			rdb_fail(r, r->off,
			         "quicklist node container %" PRIu64
			         " neither plain (1) nor packed (2)",
			         r->val);
		}
		break;
	default: /* OP_MODULE, OP_MODOP, OP_WHEN */
		rdb_module_control(r, op);
		break;
	}
}

/* Runs one step; returns the bytes it used. Sets stalled when it needs input and n is 0. */
static size_t
rdb_step(struct rdb_check *r, const uint8_t *p, size_t n)
{
	const struct rdb_frame *f = &r->stack[r->depth - 1];
	enum rdb_op op = (enum rdb_op)rdb_progs[f->prog][f->pc];
	uint8_t arg = rdb_progs[f->prog][f->pc + 1];
	uint64_t v = 0;
	size_t used;
	int enc, done;

	if (n == 0 &&
	    (op == OP_LEN || op == OP_STR || op == OP_BLOB || op == OP_NODEKEY || op == OP_FIX ||
	     op == OP_PELID || op == OP_DBL8 || op == OP_DBLTXT || op == OP_TOP)) {
		r->stalled = 1;
		return 0;
	}
	switch (op) {
	case OP_TOP:
		return rdb_top(r, p);
	case OP_LEN:
		used = rdb_read_len(r, p, n, &v, &enc, &done);
		if (done) {
			r->val = v;
			rdb_next(r);
		}
		return used;
	case OP_STR:
		return rdb_str(r, p, n, 0, 0, arg & 2);
	case OP_BLOB:
		return rdb_str(r, p, n, arg + 1, 0, 0);
	case OP_NODEKEY:
		return rdb_str(r, p, n, 0, 1, 0);
	case OP_PELID:
		return rdb_pelid(r, p, n, arg);
	case OP_FIX:
		return rdb_fix(r, p, n, arg, 0);
	case OP_DBL8:
		return rdb_fix(r, p, n, 8, 1);
	case OP_DBLTXT:
		return rdb_dbltxt(r, p, n);
	default:
		rdb_control(r, op, arg);
		return 0;
	}
}

/* ---- the common object in one piece ---- */

/*
 * A string whole in p[0, n): raw, its bytes at *s, or an integer (*s NULL).
 * Returns its size; 0 when it is LZF, badly encoded or cut by the end of p.
 */
static size_t
rdb_fast_str(const uint8_t *p, size_t n, const uint8_t **s, size_t *len)
{
	size_t hs;
	uint64_t v;

	if (n == 0 || (hs = rdb_len_size(p[0])) == 0 || hs > n)
		return 0;
	v = rdb_len_value(p, hs);
	if (p[0] >> 6 == 3) { /* int8, int16, int32; 3 is LZF */
		*s = NULL;
		*len = 0;
		return v <= 2 && 1 + (1u << v) <= n ? 1 + (1u << v) : 0;
	}
	if (v > n - hs)
		return 0;
	*s = p + hs;
	*len = (size_t)v;
	return hs + (size_t)v;
}

/*
 * Most of a real RDB is small objects: a TTL opcode, or a key and one value
 * that is a plain string or a container (a hash or set listpack, an
 * intset...). When the next object is one of these, whole in the chunk,
 * and sound, it is checked here in one go, with the same rdbblob checks and
 * leaving the same state as the steps of its program would, for a fraction
 * of their cost. Returns its size, or 0 to leave it to the steps: any other
 * object, one cut by the chunk's end, LZF, and anything wrong, which the
 * steps then report with their offsets and words.
 */
static size_t
rdb_fast_object(struct rdb_check *r, const uint8_t *p, size_t n)
{
	const uint8_t *prog, *s;
	size_t used, k, len;
	uint64_t count;
	uint8_t t = p[0];

	if (t == 0xfc || t == 0xfd) { /* EXPIRETIME_MS, EXPIRETIME: a fixed field */
		k = t == 0xfc ? 9 : 5;
		if (n < k)
			return 0;
		r->type = -1;
		r->obj_off = r->off;
		return k;
	}
	if (t >= sizeof rdb_type_prog || rdb_type_prog[t] < 0)
		return 0;
	/* The programs of the form: key, then one plain string or container. */
	prog = rdb_progs[rdb_type_prog[t]];
	if (prog[0] != OP_STR || prog[4] != OP_END ||
	    !(prog[2] == OP_BLOB || (prog[2] == OP_STR && prog[3] == 0)))
		return 0;
	if ((used = rdb_fast_str(p + 1, n - 1, &s, &len)) == 0)
		return 0;
	used++;
	if ((k = rdb_fast_str(p + used, n - used, &s, &len)) == 0)
		return 0;
	used += k;
	if (prog[2] == OP_BLOB) {
		/* An integer, a container too big to check, one that is wrong or
		 * empty: the steps say what they say about it. */
		if (s == NULL || len > RDB_BLOB_MAX ||
		    rdbblob_check((enum rdbblob_kind)prog[3], s, len, &count, &r->scratch) !=
		            NULL ||
		    count == 0)
			return 0;
		r->ql_nonempty++;
	}
	r->type = t;
	r->obj_off = r->off;
	r->keys++;
	return used;
}

/*
 * One entry of a plain list, set, hash or sorted set (the program prog: its
 * strings and an 8-byte score), whole in p[0, n), done as its steps would
 * do it: a member's hash goes into the duplicate check, which happens only
 * once the entry is known to be whole. Returns its size, or 0 to leave it
 * to the steps: cut by the chunk's end, LZF, a NaN score, or a member too
 * long for the duplicate check.
 */
static size_t
rdb_fast_entry(struct rdb_check *r, const uint8_t *prog, const uint8_t *p, size_t n)
{
	const uint8_t *s;
	size_t used = 0, k, len;
	uint64_t h = 0, u = 0;
	char num[24];
	double d;
	int pc, i, member = 0;

	for (pc = 0; prog[pc] != OP_END; pc += 2) {
		if (prog[pc] == OP_DBL8) {
			if (n - used < 8)
				return 0;
			for (i = 7; i >= 0; i--)
				u = u << 8 | p[used + (size_t)i];
			memcpy(&d, &u, sizeof d);
			if (isnan(d))
				return 0;
			used += 8;
			continue;
		}
		/* OP_STR; arg 2: a member. */
		if ((k = rdb_fast_str(p + used, n - used, &s, &len)) == 0)
			return 0;
		if (prog[pc + 1] & 2) {
			if (len > RDB_BLOB_MAX) /* too long to keep: the steps give up on the key */
				return 0;
			if (s == NULL) /* an integer: its decimal text, as rdb_str_int keeps it */
				len = rdb_int_text(p + used + 1, k - 1, num);
			h = rdbdup_hash(s != NULL ? s : (const uint8_t *)num, len);
			member = 1;
		}
		used += k;
	}
	if (member)
		rdbdup_add(&r->dup, h);
	return used;
}

/*
 * Inside a plain list, set, hash or sorted set, at the start of one of its
 * entries: as many whole entries as the chunk holds. The last entry is left
 * to the steps, which end the program, and so is any entry rdb_fast_entry
 * declines. Returns the bytes used; 0 when not at such an entry.
 */
static size_t
rdb_fast_entries(struct rdb_check *r, const uint8_t *p, size_t n)
{
	struct rdb_frame *f = &r->stack[r->depth - 1];
	size_t used = 0, k;

	if (f->pc != 0 || r->sphase != SP_NONE || r->tmp_have != 0 ||
	    (f->prog != P_STR1 && f->prog != P_MEMBER1 && f->prog != P_STR2 &&
	     f->prog != P_STR_DBL8))
		return 0;
	while (f->left > 1 && (k = rdb_fast_entry(r, rdb_progs[f->prog], p + used, n - used)) > 0) {
		used += k;
		f->left--;
	}
	return used;
}

/* ---- input ---- */

static size_t
rdb_magic(struct rdb_check *r, const uint8_t *p, size_t n)
{
	size_t take = RDB_HEAD_LEN - r->tmp_have < n ? RDB_HEAD_LEN - r->tmp_have : n;
	int i, v = 0;

	memcpy(r->head + r->tmp_have, p, take);
	r->tmp_have += take;
	if (r->tmp_have < RDB_HEAD_LEN)
		return take;
	r->tmp_have = 0;
	if (memcmp(r->head, "REDIS", 5) != 0) {
		r->error = xstrdup("rdb: bad magic at offset 0 (not a Redis RDB file)");
		r->phase = PH_FAILED;
		return take;
	}
	for (i = 5; i < RDB_HEAD_LEN; i++) {
		if (r->head[i] < '0' || r->head[i] > '9') {
			rdb_fail(r, 5, "bad version digits");
			return take;
		}
		v = v * 10 + (r->head[i] - '0');
	}
	if (v < 1 || v > RDB_MAX_VERSION) {
		rdb_fail(r, 5, "RDB version %d not supported (1 to %d)", v, RDB_MAX_VERSION);
		return take;
	}
	r->version = v;
	r->phase = PH_WALK;
	return take;
}

void
rdb_check_set_embedded(struct rdb_check *r)
{
	r->embedded = 1;
}

size_t
rdb_check_update(struct rdb_check *r, const void *data, size_t len)
{
	const uint8_t *p = data, *start = data;
	uint64_t chunk_off = r->off;
	size_t used, hashed;
	int before_eof = r->phase == PH_MAGIC || r->phase == PH_WALK;

	while (len > 0 || r->phase == PH_WALK) {
		if (r->phase == PH_MAGIC) {
			used = rdb_magic(r, p, len);
		} else if (r->phase == PH_WALK) {
			/* Whole objects between objects (nothing is half read at depth 1),
			 * whole entries inside a plain key: the short cuts. */
			used = len == 0        ? 0
			       : r->depth == 1 ? rdb_fast_object(r, p, len)
			                       : rdb_fast_entries(r, p, len);
			if (used == 0) {
				r->stalled = 0;
				used = rdb_step(r, p, len);
				if (r->stalled)
					break;
			}
		} else if (r->phase == PH_CKSUM) {
			used = RDB_CKSUM_LEN - r->cksum_have < len ? RDB_CKSUM_LEN - r->cksum_have
			                                           : len;
			memcpy(r->cksum + r->cksum_have, p, used);
			r->cksum_have += used;
			if (r->cksum_have == RDB_CKSUM_LEN)
				r->phase = PH_TRAIL;
		} else if (r->phase == PH_TRAIL && !r->embedded) {
			r->trailing += len;
			used = len;
		} else {
			break;
		}
		p += used;
		len -= used;
		r->off += used;
	}
	/* The CRC64 covers everything up to and including the EOF opcode. */
	if (before_eof) {
		hashed = (size_t)(p - start);
		if (r->phase == PH_CKSUM || r->phase == PH_TRAIL)
			hashed = (size_t)(r->eof_off + 1 - chunk_off);
		if (r->phase != PH_FAILED)
			r->crc = crc_64(r->crc, start, hashed);
	}
	return (size_t)(p - start);
}

uint64_t
rdb_check_end(const struct rdb_check *r)
{
	if (r->phase != PH_TRAIL)
		return 0;
	return r->eof_off + 1 + (r->version >= RDB_CKSUM_VERSION ? RDB_CKSUM_LEN : 0);
}

/* What the walk was in the middle of when the input ended. */
static const char *
rdb_where(const struct rdb_check *r)
{
	if (r->type >= 0)
		return "an object";
	if (r->depth > 1 || r->tmp_have > 0)
		return "an opcode's fields";
	return "the opcodes, before the EOF opcode";
}

static uint64_t
rdb_le64(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static void __attribute__((format(printf, 3, 4)))
rdb_result(struct rdb_result *res, enum rdb_status status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	res->status = status;
	res->detail = xvasprintf(fmt, ap);
	va_end(ap);
}

void
rdb_check_final(struct rdb_check *r, struct rdb_result *res)
{
	uint64_t stored, trail_off;
	char extra[160] = "";
	size_t x = 0;

	if (r->phase == PH_FAILED) {
		res->status = RDB_CORRUPT;
		res->detail = r->error;
		r->error = NULL;
		return;
	}
	if (r->off == 0) {
		rdb_result(res, RDB_CORRUPT, "rdb: empty file");
		return;
	}
	if (r->phase == PH_MAGIC) {
		if (memcmp(r->head, "REDIS", r->tmp_have < 5 ? r->tmp_have : 5) != 0)
			rdb_result(res, RDB_CORRUPT,
			           "rdb: bad magic at offset 0 (not a Redis RDB file)");
		else
			rdb_result(res, RDB_CORRUPT, "rdb: truncated: %" PRIu64 " bytes", r->off);
		return;
	}
	if (r->phase == PH_WALK) {
		rdb_result(res, RDB_CORRUPT,
		           "rdb: truncated: the file ends inside %s at offset %" PRIu64
		           " (no EOF opcode)",
		           rdb_where(r), r->off);
		return;
	}
	if (r->phase == PH_CKSUM) {
		rdb_result(res, RDB_CORRUPT,
		           "rdb: truncated: %zu of the %d checksum bytes after the EOF opcode at "
		           "offset %" PRIu64,
		           r->cksum_have, RDB_CKSUM_LEN, r->eof_off);
		return;
	}
	stored = r->version >= RDB_CKSUM_VERSION ? rdb_le64(r->cksum) : 0;
	if (r->version >= RDB_CKSUM_VERSION && stored != 0 && stored != r->crc) {
		rdb_result(res, RDB_CORRUPT,
		           "rdb: crc64 mismatch (stored 0x%016" PRIx64 ", computed 0x%016" PRIx64
		           ")",
		           stored, r->crc);
		return;
	}
	if (r->big_blobs > 0)
		x += (size_t)snprintf(extra + x, sizeof extra - x,
		                      "; %" PRIu64 " containers over %u MiB not checked inside",
		                      r->big_blobs, RDB_BLOB_MAX >> 20);
	if (r->dup_unchecked > 0)
		x += (size_t)snprintf(extra + x, sizeof extra - x,
		                      "; %" PRIu64 " keys too large for the duplicate check",
		                      r->dup_unchecked);
	trail_off = r->eof_off + 1 + (r->version >= RDB_CKSUM_VERSION ? RDB_CKSUM_LEN : 0);
	if (r->trailing > 0)
		snprintf(extra + x, sizeof extra - x,
		         "; warning: %" PRIu64 " bytes after the end at offset %" PRIu64
		         " ignored, as redis-check-rdb does",
		         r->trailing, trail_off);
	if (r->version < RDB_CKSUM_VERSION)
		rdb_result(res, RDB_UNCHECKED,
		           "rdb: version %d predates checksums; structure of %" PRIu64
		           " keys sound%s",
		           r->version, r->keys, extra);
	else if (stored == 0)
		rdb_result(res, RDB_UNCHECKED,
		           "rdb: version %d written without checksum (rdbchecksum no); structure "
		           "of %" PRIu64 " keys sound%s",
		           r->version, r->keys, extra);
	else
		rdb_result(res, r->trailing > 0 ? RDB_WARNING : RDB_OK,
		           "rdb: version %d, %" PRIu64 " keys, crc64 0x%016" PRIx64 " ok%s",
		           r->version, r->keys, stored, extra);
}
