// SPDX-License-Identifier: GPL-2.0-only
/*
 * Messages, name matching, the keyword scanner and the value parsers
 * shared by commands.
 *
 * A bad value is reported as "KEYWORD VALUE: what is wrong (what is
 * allowed)", e.g. "sport 70000: port out of range (0-65535)".
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "fpctl.h"

static void verr(const char *fmt, va_list ap)
{
	fflush(stdout);
	fputs("Error: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void fp_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verr(fmt, ap);
	va_end(ap);
}

/* A command-line error: report it and give the exit status to return. */
int usage_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verr(fmt, ap);
	va_end(ap);
	return EXIT_USAGE;
}

/* The name of entry @i of a table whose entries start with their name. */
static const char *name_at(const void *table, size_t stride, int i)
{
	return *(const char *const *)((const char *)table + i * stride);
}

/*
 * As ip abbreviates: @word is an entry of @table (its first member a name,
 * a NULL name ending it) when it is the name, or when it starts exactly one
 * name.  The entry's index, NAME_NONE, or NAME_AMBIGUOUS.
 */
int name_match(const char *word, const void *table, size_t stride)
{
	size_t len = strlen(word);
	int i, found = NAME_NONE;
	const char *name;

	for (i = 0; (name = name_at(table, stride, i)); i++) {
		if (!strcmp(word, name))
			return i;
		if (len && !strncmp(word, name, len))
			found = found == NAME_NONE ? i : NAME_AMBIGUOUS;
	}
	return found;
}

/*
 * name_match(), reporting a word that is no entry or abbreviates several:
 * 'unknown WHAT "WORD"CTX HINT' or 'ambiguous WHAT "WORD"CTX (A, B)HINT'.
 * The index, or -1 once reported.
 */
int name_find(const char *word, const void *table, size_t stride,
	      const char *what, const char *ctx, const char *hint)
{
	int i = name_match(word, table, stride);
	char names[256] = "";
	const char *name;
	size_t len = strlen(word), n = 0;

	if (i >= 0)
		return i;
	if (i == NAME_NONE) {
		usage_err("unknown %s \"%s\"%s%s", what, word, ctx, hint);
		return -1;
	}
	for (i = 0; (name = name_at(table, stride, i)); i++)
		if (!strncmp(word, name, len) && n < sizeof(names))
			n += snprintf(names + n, sizeof(names) - n, "%s%s",
				      n ? ", " : "", name);
	usage_err("ambiguous %s \"%s\"%s (%s)%s", what, word, ctx, names, hint);
	return -1;
}

/* The index of the next keyword in kv->keys and its value in @val. */
int kv_next(struct kv *kv, const char **val)
{
	char ctx[64];
	const char *kw;
	int i;

	if (!kv->argc)
		return KV_END;
	snprintf(ctx, sizeof(ctx), " for \"%s\"", kv->cmd);
	i = name_find(kv->argv[0], kv->keys, sizeof(*kv->keys), "keyword",
		      ctx, "");
	if (i < 0)
		return KV_ERR;
	kw = kv->keys[i];
	if (kv->seen & (1u << i)) {
		usage_err("duplicate keyword \"%s\" for \"%s\"", kw, kv->cmd);
		return KV_ERR;
	}
	if (kv->argc < 2) {
		usage_err("missing value for \"%s\"", kw);
		return KV_ERR;
	}
	kv->seen |= 1u << i;
	*val = kv->argv[1];
	kv->argc -= 2;
	kv->argv += 2;
	return i;
}

/* For commands that take no arguments. */
int no_args(const char *cmd, int argc, char **argv)
{
	if (argc)
		return usage_err("unknown keyword \"%s\" for \"%s\"", argv[0], cmd);
	return EXIT_OK;
}

/*
 * In @base (0: decimal or 0x hexadecimal), nothing else: "12abc", "-1" and
 * "" fail with -EINVAL, too large with -ERANGE.  Numbers are decimal but
 * for marks, so that "010" is ten.
 */
static int strtou64(const char *s, uint64_t *out, int base)
{
	unsigned long long v;
	char *end;

	if (!*s || *s == '-' || *s == '+' || *s == ' ')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, base);
	if (*end)
		return -EINVAL;
	if (errno)
		return -ERANGE;
	*out = v;
	return 0;
}

int parse_uint(const char *kw, const char *val, uint64_t min, uint64_t max,
	       uint64_t *out)
{
	int err = strtou64(val, out, 10);

	if (err == -EINVAL)
		return usage_err("%s %s: not a decimal number (%" PRIu64 "-%" PRIu64 ")",
				 kw, val, min, max);
	if (err || *out < min || *out > max)
		return usage_err("%s %s: out of range (%" PRIu64 "-%" PRIu64 ")",
				 kw, val, min, max);
	return 0;
}

/* One port of @val (a port or a range), the text in @s. */
static int port_value(const char *kw, const char *val, const char *s,
		      uint16_t *out)
{
	uint64_t v;
	int err = strtou64(s, &v, 10);

	if (err == -EINVAL)
		return usage_err("%s %s: invalid port (0-65535)", kw, val);
	if (err || v > 65535)
		return usage_err("%s %s: port out of range (0-65535)", kw, val);
	*out = v;
	return 0;
}

int parse_port(const char *kw, const char *val, uint16_t *out)
{
	return port_value(kw, val, val, out);
}

/* "N" or "N-M" with N <= M. */
int parse_port_range(const char *kw, const char *val, uint16_t *min,
		     uint16_t *max)
{
	const char *dash = strchr(val, '-');
	char first[16];
	int err;

	if (!dash) {
		err = port_value(kw, val, val, min);
		*max = *min;
		return err;
	}
	if ((size_t)(dash - val) >= sizeof(first))
		return usage_err("%s %s: invalid port (0-65535)", kw, val);
	memcpy(first, val, dash - val);
	first[dash - val] = '\0';
	err = port_value(kw, val, first, min) ?:
	      port_value(kw, val, dash + 1, max);
	if (!err && *min > *max)
		err = usage_err("%s %s: invalid port range (N-M with N <= M)",
				kw, val);
	return err;
}

/* "N[/MASK]", both 32-bit; without a mask every bit counts. */
int parse_mark(const char *val, uint32_t *mark, uint32_t *mask)
{
	const char *slash = strchr(val, '/');
	char *num = strndup(val, slash ? (size_t)(slash - val) : strlen(val));
	uint64_t m, k = UINT32_MAX;
	int err;

	if (!num) {
		fp_err("%s", strerror(ENOMEM));
		return EXIT_FAIL;
	}
	err = strtou64(num, &m, 0);
	free(num);
	if (!err && slash)
		err = strtou64(slash + 1, &k, 0);
	if (err == -EINVAL)
		return usage_err("mark %s: invalid mark (N[/MASK])", val);
	if (err || m > UINT32_MAX || k > UINT32_MAX)
		return usage_err("mark %s: out of range (0-0xffffffff)", val);
	*mark = m;
	*mask = k;
	return 0;
}

/*
 * An IPv4 address as ip reads one in a prefix: one to four decimal parts,
 * the missing ones zero ("10" is 10.0.0.0).
 */
static int short_ipv4(const char *s, struct in_addr *a)
{
	uint8_t *b = (uint8_t *)&a->s_addr;
	unsigned long v;
	char *end;
	int i;

	memset(a, 0, sizeof(*a));
	for (i = 0; i < 4; i++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = strtoul(s, &end, 10);
		if (v > 255)
			return -1;
		b[i] = v;
		if (!*end)
			return 0;
		if (*end != '.')
			return -1;
		s = end + 1;
	}
	return -1;
}

/* Whether bits of @p beyond its length are set. */
static bool host_bits(const struct prefix *p)
{
	const uint8_t *b = (const uint8_t *)&p->addr;
	unsigned int i;

	for (i = p->len; i < addr_len(p->family) * 8; i++)
		if (b[i / 8] & (0x80 >> (i % 8)))
			return true;
	return false;
}

/*
 * ADDR[/LEN], IPv4 or IPv6; without /LEN a host prefix.  As in ip,
 * "default", "any" and "all" are the prefix of length 0 of no family
 * (every address) and bits beyond the length are an error.  With
 * @need_host, a plain address is required (flow lookup keys).
 */
int parse_prefix(const char *kw, const char *val, bool need_host,
		 struct prefix *p)
{
	static const char *const any[] = { "default", "any", "all" };
	char buf[INET6_ADDRSTRLEN + 8], net[INET6_ADDRSTRLEN + 4];
	unsigned int bits, i;
	uint64_t len;
	char *slash;

	memset(p, 0, sizeof(*p));
	for (i = 0; i < ARRAY_SIZE(any) && !need_host; i++)
		if (!strcmp(val, any[i]))
			return 0;
	if (snprintf(buf, sizeof(buf), "%s", val) >= (int)sizeof(buf))
		goto bad;
	slash = strchr(buf, '/');
	if (slash) {
		if (need_host)
			goto bad;
		*slash++ = '\0';
	}
	if (inet_pton(AF_INET6, buf, &p->addr.v6) == 1)
		p->family = AF_INET6;
	else if (!short_ipv4(buf, &p->addr.v4))
		p->family = AF_INET;
	else
		goto bad;
	bits = addr_len(p->family) * 8;
	len = bits;
	if (slash && strtou64(slash, &len, 10))
		return usage_err("%s %s: invalid prefix length (0-%u)", kw, val, bits);
	if (len > bits)
		return usage_err("%s %s: prefix length out of range (0-%u)",
				 kw, val, bits);
	p->len = len;
	if (host_bits(p)) {
		struct prefix n = *p;
		uint8_t *b = (uint8_t *)&n.addr;

		for (i = n.len; i < bits; i++)
			b[i / 8] &= ~(0x80 >> (i % 8));
		inet_ntop(n.family, &n.addr, net, sizeof(net));
		return usage_err("%s %s: host bits set (the prefix is %s/%u)",
				 kw, val, net, n.len);
	}
	return 0;
bad:
	if (need_host)
		return usage_err("%s %s: invalid address (IPv4 or IPv6)", kw, val);
	return usage_err("%s %s: invalid prefix (ADDRESS[/LEN], default or any)",
			 kw, val);
}

/*
 * The index of @val among the @n @names (a contract enum's table may have
 * holes), or an error listing them: the index, or -1 once reported.
 */
int parse_choice(const char *kw, const char *val, const char *const *names,
		 size_t n)
{
	char list[64];
	size_t i, len = 0;

	for (i = 0; i < n; i++)
		if (names[i] && !strcmp(val, names[i]))
			return i;
	for (i = 0; i < n && len < sizeof(list); i++)
		if (names[i])
			len += snprintf(list + len, sizeof(list) - len, "%s%s",
					len ? ", " : "", names[i]);
	usage_err("%s %s: invalid value (%s)", kw, val, list);
	return -1;
}

int parse_family(const char *val, uint8_t *family)
{
	static const char *const names[] = { "4", "6" };
	int i = parse_choice("family", val, names, ARRAY_SIZE(names));

	if (i < 0)
		return EXIT_USAGE;
	*family = i ? AF_INET6 : AF_INET;
	return 0;
}

int parse_proto(const char *val, uint8_t *proto)
{
	static const char *const names[] = { "tcp", "udp" };
	int i = parse_choice("proto", val, names, ARRAY_SIZE(names));

	if (i < 0)
		return EXIT_USAGE;
	*proto = i ? IPPROTO_UDP : IPPROTO_TCP;
	return 0;
}

/* A device name: 1 to IFNAMSIZ - 1 characters. */
int check_ifname(const char *kw, const char *val)
{
	if (!*val || strlen(val) >= IF_NAMESIZE)
		return usage_err("%s %s: invalid device name (1-%d characters)",
				 kw, val, IF_NAMESIZE - 1);
	return 0;
}

/* Names resolve in the target namespace: -n has already switched to it. */
int parse_ifname(const char *kw, const char *val, uint32_t *ifindex)
{
	int err = check_ifname(kw, val);

	if (err)
		return err;
	*ifindex = if_nametoindex(val);
	if (!*ifindex) {
		fp_err("%s %s: device not found", kw, val);
		return EXIT_FAIL;
	}
	return 0;
}

static const char *family_name(uint8_t family)
{
	return family == AF_INET6 ? "IPv6" : "IPv4";
}

/*
 * Agree on one address family between "family" (or a first address, named
 * @by) and the address @p given with @kw.  A prefix of no family (any)
 * agrees with every family.
 */
int family_check(uint8_t *family, const char *by, const char *kw,
		 const char *val, const struct prefix *p)
{
	if (!p->family)
		return 0;
	if (!*family)
		*family = p->family;
	else if (*family != p->family)
		return usage_err("%s %s: %s, but %s is %s", kw, val,
				 family_name(p->family), by,
				 !strcmp(by, "family") ?
				 (*family == AF_INET6 ? "6" : "4") :
				 family_name(*family));
	return 0;
}

unsigned int addr_len(uint8_t family)
{
	return family == AF_INET6 ? 16 : 4;
}

const char *proto_name(uint8_t proto)
{
	switch (proto) {
	case IPPROTO_TCP:
		return "tcp";
	case IPPROTO_UDP:
		return "udp";
	default:
		return "unknown";
	}
}

/* The name of a contract enum value, from a table indexed by value. */
const char *enum_name(const char *const *names, size_t n, uint32_t v)
{
	return v < n && names[v] ? names[v] : "unknown";
}

/*
 * A device a flow or a rule refers to: text "KEY NAME" (if<N> when the
 * index has no name here); JSON "KEY" (the name, only when it has one)
 * and "KEY_index".
 */
void pr_dev(const char *key, const char *fmt, uint32_t ifindex)
{
	char name[IF_NAMESIZE], index_key[32];
	bool named = if_indextoname(ifindex, name);

	snprintf(index_key, sizeof(index_key), "%s_index", key);
	if (named)
		pr_str(PR_JSON, key, NULL, name);
	else
		snprintf(name, sizeof(name), "if%u", ifindex);
	pr_u64(PR_JSON, index_key, NULL, ifindex);
	pr_str(PR_TEXT, NULL, fmt, name);
}

/* @buf holds INET6_ADDRSTRLEN. */
const char *addr_str(uint8_t family, const struct nlattr *a, char *buf)
{
	if (!a || nla_len(a) != (int)addr_len(family) ||
	    !inet_ntop(family, nla_data(a), buf, INET6_ADDRSTRLEN))
		return "?";
	return buf;
}
