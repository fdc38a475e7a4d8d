/*
 * crc: CRC-32 and CRC-64 by carry-less folding or by tables (see crc.h).
 *
 * Both CRCs are reflected, so one scheme serves them, parameterised by the
 * polynomial. In the reflected view a 16-byte block loaded little-endian
 * is a polynomial X of degree < 128 whose first bit is the highest power;
 * X = H x^64 + L with H in the low and L in the high half of the register.
 * Moving X forward by d bits modulo P replaces it with
 *
 *   H (x^(d+64) mod P) + L (x^d mod P)
 *
 * two 64x64 carry-less products of degree < 128: the same size again, and
 * the same CRC. Four such accumulators run 64 bytes apart (d = 512), are
 * merged into one (d = 128), and the last 16-byte block that stands for
 * everything before it goes through the tables with the input's tail. The
 * running CRC enters by being xor'ed into the first bytes, as a reflected
 * CRC's state is. PCLMULQDQ's product of two reflected 64-bit values comes
 * out one bit short of the reflected 128-bit product, so the constants are
 * x^(d+63) and x^(d-1) instead: they are computed at start-up from the
 * polynomial rather than copied in as magic numbers.
 */
#include "config.h"

#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include "crc.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define CRC_HAVE_FOLD 1
#include <immintrin.h>
#else
#define CRC_HAVE_FOLD 0
#endif

/* Below this the folding's set-up costs more than it saves. */
#define CRC_FOLD_MIN 128

/* A reflected CRC of width 32 or 64: its tables and folding constants. */
struct crc_model {
	int width;
	uint64_t poly; /* normal form, without the x^width term */
	uint64_t table[8][256];
	uint64_t k512[2]; /* x^575, x^511 mod P, reflected: moves an accumulator 64 bytes */
	uint64_t k128[2]; /* x^191, x^127 mod P, reflected: moves it 16 bytes */
};

static struct crc_model crc32_model = { .width = 32, .poly = 0x04c11db7 };
static struct crc_model crc64_model = { .width = 64, .poly = 0xad93d23594c935a9ull };
static pthread_once_t crc_once = PTHREAD_ONCE_INIT;
static int crc_fold_cpu; /* the CPU has PCLMULQDQ */
static int crc_fold;     /* and folding is in use */

static uint64_t
crc_reflect(uint64_t v, int width)
{
	uint64_t r = 0;
	int i;

	for (i = 0; i < width; i++)
		if (v >> i & 1)
			r |= 1ull << (width - 1 - i);
	return r;
}

/* x^n mod P, reflected into 64 bits (x^0 at bit 63), as the folding reads its constants. */
static uint64_t
crc_xpow(const struct crc_model *m, unsigned n)
{
	uint64_t r = 1, top = 1ull << (m->width - 1);
	uint64_t mask = m->width == 64 ? UINT64_MAX : (1ull << m->width) - 1;

	while (n-- > 0)
		r = (r & top) ? ((r << 1) & mask) ^ m->poly : (r << 1) & mask;
	return crc_reflect(r, m->width) << (64 - m->width);
}

static void
crc_model_init(struct crc_model *m)
{
	uint64_t rpoly = crc_reflect(m->poly, m->width), c;
	int n, k, i;

	/* table[0][n]: the CRC of byte n alone; table[k][n]: of n followed by k zero bytes. */
	for (n = 0; n < 256; n++) {
		c = (uint64_t)n;
		for (i = 0; i < 8; i++)
			c = c & 1 ? c >> 1 ^ rpoly : c >> 1;
		m->table[0][n] = c;
	}
	for (k = 1; k < 8; k++)
		for (n = 0; n < 256; n++)
			m->table[k][n] =
			        m->table[k - 1][n] >> 8 ^ m->table[0][m->table[k - 1][n] & 0xff];
	m->k512[0] = crc_xpow(m, 575);
	m->k512[1] = crc_xpow(m, 511);
	m->k128[0] = crc_xpow(m, 191);
	m->k128[1] = crc_xpow(m, 127);
}

static void
crc_init(void)
{
	crc_model_init(&crc32_model);
	crc_model_init(&crc64_model);
#if CRC_HAVE_FOLD
	crc_fold_cpu = __builtin_cpu_supports("pclmul") && __builtin_cpu_supports("sse2");
#endif
	crc_fold = crc_fold_cpu;
}

static uint64_t
crc_le64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof v);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	v = __builtin_bswap64(v);
#endif
	return v;
}

/* Slicing-by-8: eight lookups fold eight bytes at once. */
static uint64_t
crc_tables(const struct crc_model *m, uint64_t crc, const uint8_t *p, size_t len)
{
	const uint64_t(*t)[256] = m->table;

	while (len >= 8) {
		crc ^= crc_le64(p);
		crc = t[7][crc & 0xff] ^ t[6][(crc >> 8) & 0xff] ^ t[5][(crc >> 16) & 0xff] ^
		      t[4][(crc >> 24) & 0xff] ^ t[3][(crc >> 32) & 0xff] ^
		      t[2][(crc >> 40) & 0xff] ^ t[1][(crc >> 48) & 0xff] ^ t[0][crc >> 56];
		p += 8;
		len -= 8;
	}
	while (len-- > 0)
		crc = t[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return crc;
}

#if CRC_HAVE_FOLD
/* X moved forward by the distance k stands for, plus the block at p. */
static inline __m128i __attribute__((target("pclmul,sse2"), always_inline))
crc_fold16(__m128i x, __m128i k, const uint8_t *p)
{
	__m128i h = _mm_clmulepi64_si128(x, k, 0x00), l = _mm_clmulepi64_si128(x, k, 0x11);

	return _mm_xor_si128(_mm_xor_si128(h, l), _mm_loadu_si128((const __m128i *)p));
}

static inline __m128i __attribute__((target("pclmul,sse2"), always_inline))
crc_fold_reg(__m128i x, __m128i k, __m128i y)
{
	__m128i h = _mm_clmulepi64_si128(x, k, 0x00), l = _mm_clmulepi64_si128(x, k, 0x11);

	return _mm_xor_si128(_mm_xor_si128(h, l), y);
}

/* len >= 64. The CRC state enters xor'ed into the first block. */
static uint64_t __attribute__((target("pclmul,sse2")))
crc_folded(const struct crc_model *m, uint64_t crc, const uint8_t *p, size_t len)
{
	__m128i k512 = _mm_set_epi64x((long long)m->k512[1], (long long)m->k512[0]);
	__m128i k128 = _mm_set_epi64x((long long)m->k128[1], (long long)m->k128[0]);
	__m128i x0, x1, x2, x3;
	uint8_t last[16];

	x0 = _mm_xor_si128(_mm_loadu_si128((const __m128i *)p), _mm_set_epi64x(0, (long long)crc));
	x1 = _mm_loadu_si128((const __m128i *)(p + 16));
	x2 = _mm_loadu_si128((const __m128i *)(p + 32));
	x3 = _mm_loadu_si128((const __m128i *)(p + 48));
	p += 64;
	len -= 64;
	while (len >= 64) {
		x0 = crc_fold16(x0, k512, p);
		x1 = crc_fold16(x1, k512, p + 16);
		x2 = crc_fold16(x2, k512, p + 32);
		x3 = crc_fold16(x3, k512, p + 48);
		p += 64;
		len -= 64;
	}
	x0 = crc_fold_reg(x0, k128, x1);
	x0 = crc_fold_reg(x0, k128, x2);
	x0 = crc_fold_reg(x0, k128, x3);
	for (; len >= 16; p += 16, len -= 16)
		x0 = crc_fold16(x0, k128, p);
	_mm_storeu_si128((__m128i *)last, x0);
	return crc_tables(m, crc_tables(m, 0, last, sizeof last), p, len);
}
#endif

static uint64_t
crc_run(const struct crc_model *m, uint64_t crc, const uint8_t *p, size_t len)
{
#if CRC_HAVE_FOLD
	if (crc_fold && len >= CRC_FOLD_MIN)
		return crc_folded(m, crc, p, len);
#endif
	return crc_tables(m, crc, p, len);
}

uint32_t
crc_32(uint32_t crc, const void *data, size_t len)
{
	pthread_once(&crc_once, crc_init);
	return ~(uint32_t)crc_run(&crc32_model, (uint32_t)~crc, data, len);
}

uint64_t
crc_64(uint64_t crc, const void *data, size_t len)
{
	pthread_once(&crc_once, crc_init);
	return crc_run(&crc64_model, crc, data, len);
}

int
crc_set_fold(int on)
{
	int was;

	pthread_once(&crc_once, crc_init);
	was = crc_fold;
	crc_fold = on && crc_fold_cpu;
	return was;
}
