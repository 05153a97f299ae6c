// SPDX-License-Identifier: GPL-2.0-only
/*
 * The netlink layer: resolve the fastpath family, send one request and
 * run the reply (or dump) through a callback, and report the kernel's
 * extended ACK message when it refuses.
 */
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/fastpath.h>
#include <linux/netlink.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>

#include "fpctl.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

static struct nl_sock *sk;
static int family;

/* The state of one request, shared by the libnl callbacks. */
struct talk {
	int maxattr;
	fp_msg_cb cb;
	void *arg;
	int err;		/* negative errno from the kernel */
	int cb_err;		/* non-zero return of the user callback */
	bool done;
	bool intr;		/* a table changed during the dump */
	char msg[256];		/* extack message */
};

static void sockopt(int opt)
{
	int one = 1;

	/* Old kernels lack these options; the messages are only nicer. */
	setsockopt(nl_socket_get_fd(sk), SOL_NETLINK, opt, &one, sizeof(one));
}

/*
 * Connect and resolve the family, once for all the commands of a batch.
 * -ENOENT when the module is not loaded; @quiet leaves that unreported.
 */
int fp_open(bool quiet)
{
	int err;

	if (sk)
		return 0;
	sk = nl_socket_alloc();
	if (!sk) {
		fp_err("%s", strerror(ENOMEM));
		return -1;
	}
	err = genl_connect(sk);
	if (err < 0) {
		fp_err("cannot open netlink socket: %s", nl_geterror(err));
		goto err;
	}
	sockopt(NETLINK_EXT_ACK);
	sockopt(NETLINK_CAP_ACK);
	family = genl_ctrl_resolve(sk, FASTPATH_FAMILY_NAME);
	if (family == -NLE_OBJ_NOTFOUND) {
		if (!quiet)
			fp_err("fastpath module not loaded (modprobe fastpath)");
		fp_close();
		return -ENOENT;
	}
	if (family < 0) {
		fp_err("cannot resolve the fastpath family: %s",
		       nl_geterror(family));
		goto err;
	}
	return 0;
err:
	fp_close();
	return -1;
}

void fp_close(void)
{
	nl_socket_free(sk);
	sk = NULL;
}

/* Join the monitor group on a socket that only listens. */
int fp_open_monitor(int *fd)
{
	int grp, err;

	grp = genl_ctrl_resolve_grp(sk, FASTPATH_FAMILY_NAME,
				    FASTPATH_MCGRP_MONITOR);
	if (grp < 0) {
		fp_err("cannot resolve the monitor group: %s", nl_geterror(grp));
		return -1;
	}
	/* Bursts of flow events are common; a larger buffer loses fewer. */
	nl_socket_set_buffer_size(sk, 4 << 20, 0);
	err = nl_socket_add_membership(sk, grp);
	if (err < 0) {
		fp_err("cannot join the monitor group: %s", nl_geterror(err));
		return -1;
	}
	*fd = nl_socket_get_fd(sk);
	return 0;
}

/*
 * Attribute writers: a request is small, so running out of room is a bug;
 * it is remembered and reported by fp_request() rather than at every call.
 */
static bool put_failed;

void put_u8(struct nl_msg *msg, int type, uint8_t v)
{
	put_failed |= nla_put_u8(msg, type, v) < 0;
}

void put_u16(struct nl_msg *msg, int type, uint16_t v)
{
	put_failed |= nla_put_u16(msg, type, v) < 0;
}

void put_u32(struct nl_msg *msg, int type, uint32_t v)
{
	put_failed |= nla_put_u32(msg, type, v) < 0;
}

void put_str(struct nl_msg *msg, int type, const char *s)
{
	put_failed |= nla_put_string(msg, type, s) < 0;
}

void put_addr(struct nl_msg *msg, int type, const struct prefix *p)
{
	put_failed |= nla_put(msg, type, addr_len(p->family), &p->addr) < 0;
}

struct nl_msg *fp_msg(uint8_t cmd, bool dump)
{
	struct nl_msg *msg = nlmsg_alloc();

	if (!msg) {
		fp_err("%s", strerror(ENOMEM));
		return NULL;
	}
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, family, 0,
			 dump ? NLM_F_DUMP : NLM_F_ACK, cmd,
			 FASTPATH_FAMILY_VERSION)) {
		nlmsg_free(msg);
		fp_err("%s", strerror(ENOMEM));
		return NULL;
	}
	return msg;
}

/* Copy the extack message that follows an error code at @off in @nlh. */
static void extack(struct talk *t, struct nlmsghdr *nlh, size_t off)
{
	struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];
	int len = (int)nlh->nlmsg_len - NLMSG_HDRLEN - (int)off;

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS) || len <= 0)
		return;
	if (nla_parse(tb, NLMSGERR_ATTR_MAX,
		      (struct nlattr *)((char *)nlmsg_data(nlh) + off), len,
		      NULL) < 0 || !tb[NLMSGERR_ATTR_MSG])
		return;
	nla_strlcpy(t->msg, tb[NLMSGERR_ATTR_MSG], sizeof(t->msg));
}

/*
 * The extack message of an ACK (@nlh, error code @e): after the error
 * code, or after the echoed request when the kernel did not cap the ACK.
 */
static void ack_extack(struct talk *t, struct nlmsghdr *nlh,
		       const struct nlmsgerr *e)
{
	size_t off = sizeof(*e);

	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += NLMSG_ALIGN(e->msg.nlmsg_len) - NLMSG_HDRLEN;
	extack(t, nlh, off);
}

static int err_cb(struct sockaddr_nl *nla, struct nlmsgerr *e, void *arg)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)((char *)e - NLMSG_HDRLEN);
	struct talk *t = arg;

	(void)nla;
	t->err = e->error;
	ack_extack(t, nlh, e);
	t->done = true;
	return NL_STOP;
}

/* A success may carry a message too: a warning, as ip prints it. */
static int ack_cb(struct nl_msg *msg, void *arg)
{
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct talk *t = arg;

	if (nlmsg_datalen(nlh) >= (int)sizeof(struct nlmsgerr))
		ack_extack(t, nlh, nlmsg_data(nlh));
	t->done = true;
	return NL_STOP;
}

/* The end of a dump carries its error code, and then extack TLVs. */
static int finish_cb(struct nl_msg *msg, void *arg)
{
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct talk *t = arg;
	int err;

	if (nlmsg_datalen(nlh) >= (int)sizeof(err)) {
		memcpy(&err, nlmsg_data(nlh), sizeof(err));
		if (err < 0) {
			t->err = err;
			extack(t, nlh, sizeof(err));
		}
	}
	t->done = true;
	return NL_STOP;
}

static int intr_cb(struct nl_msg *msg, void *arg)
{
	struct talk *t = arg;

	(void)msg;
	t->intr = true;
	return NL_OK;
}

static_assert(FASTPATH_A_RULE_MAX <= FP_ATTR_MAX &&
	      FASTPATH_A_FLOW_MAX <= FP_ATTR_MAX &&
	      FASTPATH_A_DEV_MAX <= FP_ATTR_MAX &&
	      FASTPATH_A_STATS_MAX <= FP_ATTR_MAX &&
	      FASTPATH_A_CONFIG_MAX <= FP_ATTR_MAX,
	      "FP_ATTR_MAX is below an attribute set's maximum");

static int valid_cb(struct nl_msg *msg, void *arg)
{
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct nlattr *tb[FP_ATTR_MAX + 1];
	struct talk *t = arg;

	if (genlmsg_parse(nlh, 0, tb, t->maxattr, NULL) < 0) {
		fp_err("malformed message from the kernel");
		t->cb_err = -1;
		return NL_STOP;
	}
	t->cb_err = t->cb(genlmsg_hdr(nlh)->cmd, tb, t->arg);
	return t->cb_err ? NL_STOP : NL_OK;
}

static struct nl_cb *talk_cb(struct talk *t)
{
	struct nl_cb *cb = nl_cb_alloc(NL_CB_DEFAULT);

	if (!cb) {
		fp_err("%s", strerror(ENOMEM));
		return NULL;
	}
	nl_cb_err(cb, NL_CB_CUSTOM, err_cb, t);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, ack_cb, t);
	nl_cb_set(cb, NL_CB_FINISH, NL_CB_CUSTOM, finish_cb, t);
	nl_cb_set(cb, NL_CB_DUMP_INTR, NL_CB_CUSTOM, intr_cb, t);
	if (t->cb)
		nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, valid_cb, t);
	return cb;
}

/*
 * Send @msg (consumed) and pass the attributes of each reply to @cb, until
 * the ACK or the end of the dump.  Every failure has been reported when
 * this returns -1.
 */
int fp_request(struct nl_msg *msg, int maxattr, fp_msg_cb cb, void *arg)
{
	struct talk t = { .maxattr = maxattr, .cb = cb, .arg = arg };
	struct nl_cb *nlcb;
	int err;

	if (put_failed) {
		nlmsg_free(msg);
		fp_err("request too large");
		return -1;
	}
	err = nl_send_auto(sk, msg);
	nlmsg_free(msg);
	if (err < 0) {
		fp_err("%s", nl_geterror(err));
		return -1;
	}
	nlcb = talk_cb(&t);
	if (!nlcb)
		return -1;
	while (!t.done && !t.cb_err) {
		err = nl_recvmsgs(sk, nlcb);
		if (err < 0)
			break;
	}
	nl_cb_put(nlcb);
	if (t.cb_err)
		return -1;
	if (t.err) {
		fp_err("%s", t.msg[0] ? t.msg : strerror(-t.err));
		return -1;
	}
	if (err < 0) {
		fp_err("%s", nl_geterror(err));
		return -1;
	}
	if (t.msg[0]) {
		fflush(stdout);
		fprintf(stderr, "Warning: %s\n", t.msg);
	}
	/* What was dumped is still printed, with ip's warning. */
	if (t.intr)
		fprintf(stderr, "Dump was interrupted and may be inconsistent.\n");
	return 0;
}

/* Notifications carry no sequence number of ours. */
static int no_seq_check(struct nl_msg *msg, void *arg)
{
	(void)msg;
	(void)arg;
	return NL_OK;
}

/* Pass the events waiting on the monitor socket to @cb. */
int fp_recv_events(int maxattr, fp_msg_cb cb, void *arg)
{
	struct talk t = { .maxattr = maxattr, .cb = cb, .arg = arg };
	struct nl_cb *nlcb = talk_cb(&t);
	int err;

	if (!nlcb)
		return -1;
	nl_cb_set(nlcb, NL_CB_SEQ_CHECK, NL_CB_CUSTOM, no_seq_check, NULL);
	err = nl_recvmsgs(sk, nlcb);
	nl_cb_put(nlcb);
	if (t.cb_err)
		return -1;
	/* ENOBUFS: the kernel dropped events; say so and keep listening. */
	if (err == -NLE_NOMEM) {
		fprintf(stderr, "Warning: events lost (receive buffer overrun)\n");
		return 0;
	}
	if (err < 0) {
		fp_err("%s", nl_geterror(err));
		return -1;
	}
	return 0;
}

static char module_version[64];

static int version_cb(uint8_t cmd, struct nlattr **tb, void *arg)
{
	(void)cmd;
	(void)arg;
	if (tb[FASTPATH_A_VERSION_VERSION])
		nla_strlcpy(module_version, tb[FASTPATH_A_VERSION_VERSION],
			    sizeof(module_version));
	return 0;
}

/* The loaded module's version, NULL when the request failed. */
const char *fp_version(void)
{
	struct nl_msg *msg = fp_msg(FASTPATH_CMD_VERSION_GET, false);

	if (!msg || fp_request(msg, FASTPATH_A_VERSION_MAX, version_cb, NULL))
		return NULL;
	return module_version;
}

/* Attribute getters: a short attribute (from a buggy peer) reads as 0. */
#define GETTER(name, type)						\
type name(const struct nlattr *a)					\
{									\
	type v = 0;							\
									\
	if (a && nla_len(a) >= (int)sizeof(v))				\
		memcpy(&v, nla_data(a), sizeof(v));			\
	return v;							\
}

GETTER(attr_u8, uint8_t)
GETTER(attr_u16, uint16_t)
GETTER(attr_u32, uint32_t)
GETTER(attr_u64, uint64_t)

/* A u32 or u64 attribute, by its length. */
uint64_t attr_uint(const struct nlattr *a)
{
	return a && nla_len(a) == sizeof(uint32_t) ? attr_u32(a) : attr_u64(a);
}

int attr_nested(struct nlattr **tb, int maxattr, const struct nlattr *nest)
{
	if (!nest) {
		memset(tb, 0, sizeof(*tb) * (maxattr + 1));
		return 0;
	}
	return nla_parse_nested(tb, maxattr, (struct nlattr *)nest, NULL);
}
