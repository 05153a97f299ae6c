// SPDX-License-Identifier: GPL-2.0
/*
 * framegen: transmit pre-built Ethernet frames on a device as fast as the
 * device takes them, for the frames pktgen cannot build (a PPPoE session
 * frame inside a VLAN tag).
 *
 *   framegen DEV LEN [PPS] < FRAMES
 *	FRAMES holds N frames of LEN bytes each, back to back.  They are
 *	sent in turn, over and over, until framegen is killed: as fast as
 *	the device takes them, or PPS a second (in batches 100 times a
 *	second).
 *
 * The frames go out with sendmmsg() on an AF_PACKET socket that bypasses
 * the qdisc, BATCH at a time: each becomes a linear skb (an AF_PACKET
 * transmit ring would leave all but the Ethernet header in page
 * fragments, which the receiver would have to pull first).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH		256
#define MAX_LEN		1514
#define MAX_FRAMES	(1 << 20)
/*
 * An skb stays charged to the socket until the receiver frees it: with
 * the default send buffer a few hundred frames in the receiver's backlog
 * put framegen to sleep, and it would idle while the receiver catches up.
 */
#define SNDBUF		(64 << 20)

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static unsigned long parse_num(const char *s, unsigned long min, unsigned long max)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || end == s || v < min || v > max) {
		fprintf(stderr, "framegen: invalid number '%s'\n", s);
		exit(2);
	}
	return v;
}

/* All of stdin: nframes frames of len bytes. */
static unsigned char *read_frames(size_t len, size_t *nframes)
{
	size_t size = 0, cap = 1 << 16;
	unsigned char *buf = malloc(cap);
	ssize_t n;

	for (;;) {
		if (!buf)
			die("malloc");
		n = read(0, buf + size, cap - size);
		if (n < 0)
			die("read");
		if (!n)
			break;
		size += n;
		if (size == cap)
			buf = realloc(buf, cap *= 2);
	}
	if (!size || size % len || size / len > MAX_FRAMES) {
		fprintf(stderr, "framegen: %zu bytes on stdin are not 1 to %d frames of %zu bytes\n",
			size, MAX_FRAMES, len);
		exit(2);
	}
	*nframes = size / len;
	return buf;
}

/*
 * Sleep until the next batch of a paced run is due.  A run that fell more
 * than a second behind (the CPU was busy elsewhere) starts over from now
 * rather than sending the backlog in a burst.
 */
static void pace(struct timespec *due, long interval_ns)
{
	struct timespec now;

	due->tv_nsec += interval_ns;
	while (due->tv_nsec >= 1000000000L) {
		due->tv_nsec -= 1000000000L;
		due->tv_sec++;
	}
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (now.tv_sec > due->tv_sec + 1)
		*due = now;
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, due, NULL) == EINTR)
		;
}

int main(int argc, char **argv)
{
	struct sockaddr_ll addr = { .sll_family = AF_PACKET };
	static struct mmsghdr msgs[BATCH];
	static struct iovec iovs[BATCH];
	size_t len, nframes, next = 0, i, batch = BATCH;
	unsigned long pps = 0;
	long interval_ns = 0;
	struct timespec due;
	unsigned char *frames;
	int one = 1, sndbuf = SNDBUF, fd, sent;

	if (argc != 3 && argc != 4) {
		fprintf(stderr, "usage: framegen DEV LEN [PPS] < FRAMES\n");
		return 2;
	}
	len = parse_num(argv[2], ETH_ZLEN, MAX_LEN);
	if (argc == 4) {
		pps = parse_num(argv[3], 1, 100000000);
		batch = pps / 100 ? (pps / 100 < BATCH ? pps / 100 : BATCH) : 1;
		interval_ns = (long)(batch * 1000000000.0 / pps);
	}
	frames = read_frames(len, &nframes);

	fd = socket(AF_PACKET, SOCK_RAW, 0);
	if (fd < 0)
		die("socket");
	addr.sll_ifindex = if_nametoindex(argv[1]);
	if (!addr.sll_ifindex)
		die(argv[1]);
	if (setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one)) ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sndbuf, sizeof(sndbuf)))
		die("setsockopt");
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)))
		die("bind");
	for (i = 0; i < BATCH; i++) {
		iovs[i].iov_len = len;
		msgs[i].msg_hdr.msg_iov = &iovs[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
	}

	clock_gettime(CLOCK_MONOTONIC, &due);
	for (;;) {
		/* The next batch of frames, in turn. */
		for (i = 0; i < batch; i++) {
			iovs[i].iov_base = frames + next * len;
			next = next + 1 < nframes ? next + 1 : 0;
		}
		sent = sendmmsg(fd, msgs, batch, 0);
		if (sent < 0 && errno != ENOBUFS)
			die("sendmmsg");
		if (pps)
			pace(&due, interval_ns);
	}
}
